// GraphQL multipart requests (file uploads), read the same way by the router and by products: the same
// limits (MAX_UPLOAD_BYTES, MAX_UPLOAD_FILES) and the same client errors for malformed requests.
import type { Request, Response, NextFunction, RequestHandler } from "express";
import { GraphQLError } from "graphql";
import { processRequest, Upload, type FileUpload } from "graphql-upload-minimal";

export function isMultipart(req: Request): boolean {
  return (req.headers["content-type"] ?? "").toLowerCase().startsWith("multipart/form-data");
}

export interface FoundUpload {
  /** Dotted path inside `variables`, e.g. "file" or "files.0". */
  path: string;
  upload: Upload;
}

export function findUploads(value: unknown, path = ""): FoundUpload[] {
  if (value instanceof Upload) return [{ path, upload: value }];
  if (Array.isArray(value)) return value.flatMap((item, index) => findUploads(item, path ? `${path}.${index}` : String(index)));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => findUploads(item, path ? `${path}.${key}` : key));
  }
  return [];
}

/** A client error in the GraphQL JSON shape, answered before Apollo Server sees the request. */
function refuse(res: Response, status: number, message: string, field: string): void {
  res.status(status).json({ errors: [{ message, extensions: { code: "BAD_USER_INPUT", field } }] });
}

/** graphql-upload-minimal's errors carry the HTTP status they deserve; only 4xx ones are the client's fault. */
const clientStatusOf = (error: unknown): number | null => {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" && status >= 400 && status < 500 ? status : null;
};

/**
 * Parses multipart requests on /graphql into `req.body` (operations with Upload values). A malformed
 * request (bad `map`, more than `maxFiles` files, one file used by two variables) is refused with
 * BAD_USER_INPUT and its 4xx status; one byte of slack on the size lets the reader of the file name
 * the size limit itself.
 */
export function multipartUploads(limits: { maxBytes: number; maxFiles: number }): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!isMultipart(req)) return next();
    processRequest(req, res, { maxFileSize: limits.maxBytes + 1, maxFiles: limits.maxFiles }).then(
      (operations) => {
        const uploads = findUploads(operations);
        const seen = new Set<Upload>();
        const shared = uploads.find(({ upload }) => seen.size === seen.add(upload).size);
        if (shared) {
          // Read the files to their end so the request completes; nobody will use them.
          for (const upload of new Set(uploads.map((found) => found.upload))) {
            upload.promise.then((file) => void file.createReadStream().resume()).catch(() => undefined);
          }
          return refuse(res, 400, "Each file may be used by one variable only.", shared.path.replace(/^variables\./, ""));
        }
        req.body = operations;
        next();
      },
      (error: unknown) => {
        const status = clientStatusOf(error);
        if (status === null) return next(error);
        refuse(res, status, (error as Error).message, "map");
      },
    );
  };
}

/**
 * The file behind an Upload variable. A `map` entry whose file part never came is the client's
 * mistake: BAD_USER_INPUT on `field` with HTTP 400, instead of the parser's error as a 500.
 */
export async function receiveUpload(upload: Promise<FileUpload>, field: string): Promise<FileUpload> {
  try {
    return await upload;
  } catch (error) {
    if (clientStatusOf(error) === null) throw error;
    throw new GraphQLError(`${field}: ${(error as Error).message}`, {
      extensions: { code: "BAD_USER_INPUT", field, http: { status: 400 } },
    });
  }
}
