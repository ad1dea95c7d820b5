// File paths in the file store (`/files/<repository>/-/<path>`): relative, slash-separated
// names of plain files. A path is a key, not a place on a disk, but it is shown to people,
// handed to scanners as a file name and offered back in Content-Disposition, so every
// segment must be something a file system and a shell would take at face value: no empty
// segments, no `.` or `..`, no slash or backslash inside a name, no control characters.

/** A file's path: at most this many bytes of UTF-8 (S3 allows 1024; so do we). */
export const maxFilePathBytes = 1024;
/** A segment (a file or directory name): the common file-system limit. */
export const maxFileNameBytes = 255;

// C0 and C1 controls and DEL: invisible in listings, and meaningful to terminals.
const controlCharacters = /[\u0000-\u001f\u007f-\u009f]/;
// A UTF-16 surrogate without its pair: not a character, and not encodable as UTF-8.
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `name` cannot be a path segment, or undefined when it can. */
export function fileNameProblem(name: string): string | undefined {
  if (name === '') return 'empty segment (two slashes in a row, or a leading slash)';
  if (name === '.' || name === '..') return `"${name}" is not allowed as a segment`;
  if (name.includes('/')) return 'a segment must not contain "/" (an encoded %2F)';
  if (name.includes('\\')) return 'a segment must not contain "\\"';
  if (controlCharacters.test(name)) return 'a segment must not contain control characters';
  if (loneSurrogate.test(name)) return 'a segment must be valid Unicode';
  if (Buffer.byteLength(name) > maxFileNameBytes) return `a segment must be at most ${maxFileNameBytes} bytes`;
  return undefined;
}

/** Why `segments` cannot form a file path, or undefined when they can. */
export function filePathProblem(segments: readonly string[]): string | undefined {
  if (segments.length === 0) return 'the path is empty';
  for (const segment of segments) {
    const problem = fileNameProblem(segment);
    if (problem !== undefined) return problem;
  }
  if (Buffer.byteLength(segments.join('/')) > maxFilePathBytes) return `the path must be at most ${maxFilePathBytes} bytes`;
  return undefined;
}

/** The last segment of a valid path: the file's own name (kept for scanners and downloads). */
export function fileNameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
