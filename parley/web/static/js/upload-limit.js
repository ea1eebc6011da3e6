// The upload limit (PARLEY_UPLOAD_MAX_BYTES, handed over in the page data) as people read
// it, and the sentence an upload error deserves: a too-large file names the limit.
import { data, errorText, t } from "./page-data.js";

const MIB = 1024 * 1024;
const TOO_LARGE = new Set(["file_too_large", "body_too_large"]);

/** 10 MiB is "10", 1.5 MiB "1.5" (the server says the same next to the attach button). */
export function limitMegabytes() {
  return (Number(data.upload_max_bytes) / MIB).toFixed(1).replace(/\.0$/, "");
}

/** The sentence for a refused upload, from the server's problem code ("" when none). */
export function uploadErrorText(code) {
  if (TOO_LARGE.has(code) && data.upload_max_bytes) return t("upload_too_large", { mb: limitMegabytes() });
  const text = code ? errorText(code) : "";
  return !text || text === t("error") ? t("upload_failed") : text;
}
