// A message's edit history: the "(edited)" label is a button that opens, under the message,
// its earlier versions (`GET …/messages/{id}/edits`, oldest first), each rebuilt from the
// server's sanitised html by richtext.js like any body. Pressing it again closes the list.
import { api, ApiError } from "./api.js";
import { errorText, formatTime, t } from "./page-data.js";
import { renderHtml } from "./richtext.js";

function versionItem(version, renderText) {
  const li = document.createElement("li");
  const time = document.createElement("time");
  time.dateTime = version.created_at;
  time.textContent = formatTime(version.created_at);
  const body = document.createElement("div");
  body.className = "msg-body";
  if (version.html) renderHtml(body, version.html, renderText);
  else renderText(body, String(version.body ?? ""));
  li.append(time, body);
  return li;
}

/** Open or close the history of `message` (its element `li`, the label `button`). */
export async function toggleHistory(roomId, li, message, button, renderText) {
  const open = li.querySelector(".msg-history");
  if (open) {
    open.remove();
    button.setAttribute("aria-expanded", "false");
    return;
  }
  const box = document.createElement("section");
  box.className = "msg-history";
  box.id = `history-${message.seq}`;
  box.setAttribute("aria-label", t("edit_history"));
  const status = document.createElement("p");
  status.className = "muted";
  status.textContent = t("loading");
  box.append(status);
  button.setAttribute("aria-controls", box.id);
  button.setAttribute("aria-expanded", "true");
  li.querySelector(".msg-body")?.after(box);
  try {
    const result = await api("GET", `/api/v1/rooms/${roomId}/messages/${message.id}/edits`);
    const list = document.createElement("ol");
    list.className = "history-list";
    list.append(...result.items.map((version) => versionItem(version, renderText)));
    const title = document.createElement("h3");
    title.textContent = t("edit_history");
    box.replaceChildren(title, list);
    if (!result.items.length) box.append(Object.assign(status, { textContent: t("no_earlier_versions") }));
  } catch (error) {
    status.textContent = error instanceof ApiError ? errorText(error.code) : t("error");
  }
}
