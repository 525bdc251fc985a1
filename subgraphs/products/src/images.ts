// Product images: where their files live and which rendition a client gets.
//
// Each upload is stored once per rendition width, as WebP, under its storage key:
//   <storageKey>/200.webp, <storageKey>/800.webp, <storageKey>/1600.webp
// Every width is always written (an original narrower than a width is stored at its own size),
// so a URL can be built from the key alone without asking the storage what exists.
import { BadUserInputError } from "../../../lib/errors.js";

/** Rendition widths in pixels, ascending. */
export const RENDITION_WIDTHS = [200, 800, 1600] as const;
export type RenditionWidth = (typeof RENDITION_WIDTHS)[number];

const LARGEST_RENDITION: RenditionWidth = RENDITION_WIDTHS[RENDITION_WIDTHS.length - 1]!;

/** The folder of one image's renditions: grouped by product, so a product's files can be removed together. */
export const imageStorageKey = (productId: string, imageId: string) => `products/${productId}/${imageId}`;

/** The path of one rendition relative to the asset root. */
export const renditionPath = (storageKey: string, width: RenditionWidth) => `${storageKey}/${width}.webp`;

/** The smallest rendition at least `requested` pixels wide; the largest when none is, or when nothing is asked. */
export function renditionWidthFor(requested?: number | null): RenditionWidth {
  if (requested == null) return LARGEST_RENDITION;
  if (!Number.isInteger(requested) || requested < 1) throw new BadUserInputError("width must be a positive number of pixels.", "width");
  return RENDITION_WIDTHS.find((width) => width >= requested) ?? LARGEST_RENDITION;
}

/** The public URL of the rendition that suits `requestedWidth`. */
export function imageUrl(assetBaseUrl: string, storageKey: string, requestedWidth?: number | null): string {
  return `${assetBaseUrl}/${renditionPath(storageKey, renditionWidthFor(requestedWidth))}`;
}

export interface DeletedProduct {
  productId: string;
  /** Storage keys of the images whose rows were deleted with the product; their files are still stored. */
  imageStorageKeys: string[];
}

/**
 * Runs after a product's rows are committed as deleted. The image storage plugs in here to remove
 * the files; a failure is logged by the caller and leaves orphaned files, never a half-deleted product.
 */
export type ProductDeletedHook = (deleted: DeletedProduct) => Promise<void>;
