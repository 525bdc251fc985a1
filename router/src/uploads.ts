// File uploads through the router. @apollo/gateway sends subgraphs JSON only (apollographql/federation
// issue 1385), so the router parses the GraphQL multipart request itself (graphql-upload-minimal) and
// re-sends each fetch whose variables hold a file as a new multipart request, streaming the bytes through.
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import type { Request, Response, NextFunction, RequestHandler } from "express";
import { Upload, type FileUpload } from "graphql-upload-minimal";
import { findUploads, isMultipart, multipartUploads, receiveUpload, type FoundUpload } from "../../lib/uploads.js";

export { findUploads };

/**
 * Parses multipart requests on /graphql. Apollo's CSRF rule (a custom header that forces a CORS
 * preflight) is checked first, so no cross-site form can make the router read a file.
 */
export function uploadMiddleware(limits: { maxBytes: number; maxFiles: number }): RequestHandler {
  const parse = multipartUploads(limits);
  return (req: Request, res: Response, next: NextFunction) => {
    if (!isMultipart(req)) return next();
    const preflighted = Boolean(req.headers["apollo-require-preflight"] || req.headers["x-apollo-operation-name"]);
    if (!preflighted) {
      res.status(400).json({
        errors: [
          {
            message: "Multipart requests must carry an 'apollo-require-preflight' or 'x-apollo-operation-name' header (CSRF protection).",
            extensions: { code: "BAD_REQUEST" },
          },
        ],
      });
      return;
    }
    parse(req, res, next);
  };
}

function withoutUploads(value: unknown): unknown {
  if (value instanceof Upload) return null;
  if (Array.isArray(value)) return value.map(withoutUploads);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutUploads(v)]));
  return value;
}

export class UploadTooLargeError extends Error {}

const quoted = (text: string) => text.replace(/["\r\n\\]/g, "_");

/** The GraphQL multipart request spec's body, as a stream: operations, map, then each file's bytes. */
async function* multipartBody(boundary: string, operations: object, files: { path: string; file: FileUpload }[], maxBytes: number) {
  const part = (headers: string) => `--${boundary}\r\n${headers}\r\n\r\n`;
  yield part('Content-Disposition: form-data; name="operations"\r\nContent-Type: application/json') + JSON.stringify(operations) + "\r\n";
  const map = Object.fromEntries(files.map(({ path }, index) => [String(index), [`variables.${path}`]]));
  yield part('Content-Disposition: form-data; name="map"\r\nContent-Type: application/json') + JSON.stringify(map) + "\r\n";
  for (const [index, { file }] of files.entries()) {
    yield part(
      `Content-Disposition: form-data; name="${index}"; filename="${quoted(file.filename)}"\r\nContent-Type: ${quoted(file.mimetype || "application/octet-stream")}`,
    );
    let size = 0;
    for await (const chunk of file.createReadStream() as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw new UploadTooLargeError();
      yield chunk;
    }
    yield "\r\n";
  }
  yield `--${boundary}--\r\n`;
}

/** Sends a subgraph request whose variables hold files as a streamed multipart request. */
export async function sendMultipart(options: {
  url: string;
  headers: Record<string, string>;
  request: { query?: string; operationName?: string | null; variables?: Record<string, unknown> };
  uploads: FoundUpload[];
  maxBytes: number;
  timeoutMs: number;
}): Promise<{ data?: Record<string, unknown> | null; errors?: unknown[] }> {
  const files = await Promise.all(
    options.uploads.map(async ({ path, upload }) => ({ path, file: await receiveUpload(upload.promise, path) })),
  );
  const boundary = `shopgraph-${randomUUID()}`;
  const operations = {
    query: options.request.query,
    operationName: options.request.operationName,
    variables: withoutUploads(options.request.variables),
  };
  const body = Readable.from(multipartBody(boundary, operations, files, options.maxBytes));
  let tooLarge = false;
  body.on("error", (error) => {
    if (error instanceof UploadTooLargeError) tooLarge = true;
  });
  try {
    const response = await fetch(options.url, {
      method: "POST",
      headers: { ...options.headers, "content-type": `multipart/form-data; boundary=${boundary}`, "apollo-require-preflight": "true" },
      body: Readable.toWeb(body) as ReadableStream,
      duplex: "half",
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    return (await response.json()) as { data?: Record<string, unknown> | null; errors?: unknown[] };
  } catch (error) {
    if (tooLarge || error instanceof UploadTooLargeError || (error as { cause?: unknown }).cause instanceof UploadTooLargeError) {
      const limitMb = Math.round((options.maxBytes / 1024 / 1024) * 10) / 10;
      return {
        data: null,
        errors: [
          { message: `The file is larger than the ${limitMb} MB limit.`, extensions: { code: "BAD_USER_INPUT", field: files[0]?.path } },
        ],
      };
    }
    throw error;
  }
}
