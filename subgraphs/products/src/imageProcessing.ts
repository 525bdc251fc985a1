// Turns uploaded bytes into WebP renditions with sharp. Whatever the file name or MIME type claims,
// only bytes that sharp decodes as an image are accepted; metadata (EXIF, GPS) is stripped and the
// image is turned upright first.
import type { Readable } from "node:stream";
import sharp, { type Metadata } from "sharp";
import { BadUserInputError } from "../../../lib/errors.js";
import { RENDITION_WIDTHS, type RenditionWidth } from "./images.js";

const ACCEPTED_FORMATS = new Set(["jpeg", "png", "webp", "gif", "avif", "tiff", "heif"]);

export interface ImageLimits {
  maxBytes: number;
  maxPixels: number;
}

export interface ProcessedImage {
  /** Size of the upright original. */
  width: number;
  height: number;
  renditions: { width: RenditionWidth; data: Buffer }[];
}

/** Reads the whole upload, refusing it as soon as it passes `maxBytes`. */
export async function readUpload(stream: Readable, maxBytes: number, field: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        stream.destroy();
        throw new BadUserInputError(`The file is larger than the ${Math.round((maxBytes / 1024 / 1024) * 10) / 10} MB limit.`, field);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof BadUserInputError) throw error;
    throw new BadUserInputError("The upload was interrupted before the whole file arrived.", field);
  }
  if (size === 0) throw new BadUserInputError("The file is empty.", field);
  return Buffer.concat(chunks);
}

export async function processImage(data: Buffer, limits: ImageLimits, field: string): Promise<ProcessedImage> {
  const source = () => sharp(data, { limitInputPixels: limits.maxPixels, failOn: "error" });
  let metadata: Metadata;
  try {
    // Reading the header decodes no pixels, so it runs without the pixel limit and we can name the problem.
    metadata = await sharp(data, { limitInputPixels: false }).metadata();
  } catch {
    throw new BadUserInputError("The file is not an image we can read (JPEG, PNG, WebP, GIF, AVIF, TIFF or HEIF).", field);
  }
  if (!metadata.format || !ACCEPTED_FORMATS.has(metadata.format) || !metadata.width || !metadata.height) {
    throw new BadUserInputError("The file is not an image we can read (JPEG, PNG, WebP, GIF, AVIF, TIFF or HEIF).", field);
  }
  if (metadata.width * metadata.height > limits.maxPixels) {
    throw new BadUserInputError(`The image has more than ${limits.maxPixels} pixels.`, field);
  }
  try {
    // Decode once, upright and without metadata; every rendition is resized from this.
    const { data: upright, info } = await source().rotate().raw().toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
    const renditions = await Promise.all(
      RENDITION_WIDTHS.map(async (width) => ({
        width,
        data: await sharp(upright, raw).resize({ width, withoutEnlargement: true }).webp({ quality: 80, effort: 4 }).toBuffer(),
      })),
    );
    return { width: info.width, height: info.height, renditions };
  } catch {
    // A header that parses but pixel data that does not: a truncated or corrupt file.
    throw new BadUserInputError("The image is truncated or corrupt.", field);
  }
}
