// The chips above the composer and what they hold for the next send: the whisper target,
// the uploaded attachment (uploaded at once when chosen), the message being replied to; and
// the short status line under the timeline ("Link copied").
import { csrfToken, refreshSession } from "./api.js";
import { t } from "./page-data.js";
import { plainMarkdown } from "./message-text.js";
import { readableTokens } from "./render.js";
import { Suggestions, part } from "./suggestions.js";
import { uploadErrorText } from "./upload-limit.js";

const $ = (id) => document.getElementById(id);
const EXCERPT = 80;
let statusTimer = null;

/** A short note under the timeline, gone after a few seconds. */
export function showStatus(text, isError = false) {
  const node = $("action-status");
  node.textContent = text;
  node.classList.toggle("is-error", isError);
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => {
    node.textContent = "";
  }, 6000);
}

function excerptOf(message) {
  const body = plainMarkdown(readableTokens(message.body));
  return body.length > EXCERPT ? `${body.slice(0, EXCERPT)}…` : body;
}

async function postFile(file) {
  const send = () => {
    const form = new FormData();
    form.append("file", file, file.name);
    return fetch("/api/v1/files", {
      method: "POST",
      body: form,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRF-Token": csrfToken() },
    });
  };
  let response = await send();
  if (response.status === 401 && (await refreshSession())) response = await send();
  if (!response.ok) {
    let code = "";
    try {
      code = (await response.json()).code ?? "";
    } catch {
      /* not a problem document */
    }
    throw new Error(code);
  }
  return response.json();
}

export class ComposerChips {
  constructor(input) {
    this.input = input;
    this.whisperTo = null; // {id, nickname} while the composer whispers
    this.attachment = null; // the uploaded file waiting to be sent: {id, name, size, ...}
    this.uploading = false;
    this.replyTo = null; // {id, seq, sender, excerpt} of the message the composer answers
    $("whisper-chip").addEventListener("click", () => this.setWhisper(null));
    $("reply-chip").addEventListener("click", () => this.setReply(null));
    $("attachment-chip").addEventListener("click", () => {
      this.setAttachment(null);
      input.focus();
    });
    $("attach-input").addEventListener("change", () => this.upload());
  }

  setReply(message) {
    this.replyTo = message
      ? { id: message.id, seq: message.seq, sender: message.sender, excerpt: excerptOf(message) }
      : null;
    const reply = this.replyTo;
    const name = reply?.sender?.nickname ?? t("deleted_member");
    const chip = $("reply-chip");
    $("reply-target").hidden = !reply;
    const text = document.createElement("span");
    text.className = "chip-text"; // ellipsised; the chip's × stays in view
    text.textContent = reply ? `${name}: ${reply.excerpt}` : "";
    chip.replaceChildren(text);
    if (reply) chip.setAttribute("aria-label", t("reply_clear", { name }));
    this.input.focus();
  }

  setWhisper(member) {
    this.whisperTo = member ? { id: member.id, nickname: member.nickname } : null;
    const whisper = this.whisperTo;
    const chip = $("whisper-chip");
    $("whisper-target").hidden = !whisper;
    chip.textContent = whisper ? whisper.nickname : "";
    if (whisper) chip.setAttribute("aria-label", t("whisper_clear", { name: whisper.nickname }));
    this.input.focus();
  }

  setAttachment(file) {
    this.attachment = file;
    const chip = $("attachment-chip");
    $("attachment-row").hidden = !file;
    chip.textContent = file ? t("attachment_named", { name: file.name }) : "";
    if (file) chip.setAttribute("aria-label", t("attachment_remove", { name: file.name }));
    if (!file) $("attach-input").value = "";
  }

  async upload() {
    const file = $("attach-input").files[0];
    if (!file) return;
    this.uploading = true;
    this.setAttachment(null);
    $("upload-status").textContent = t("uploading", { name: file.name });
    try {
      this.setAttachment(await postFile(file));
      $("upload-status").textContent = "";
    } catch (error) {
      $("upload-status").textContent = uploadErrorText(error.message);
      $("attach-input").value = "";
    } finally {
      this.uploading = false;
    }
  }
}

// -- slash commands (docs/commands.md) -------------------------------------------------------

/** The commands the composer offers, with the usage written into the box when chosen. */
export const COMMANDS = [
  { name: "me", usage: "/me " },
  { name: "shrug", usage: "/shrug " },
  { name: "poll", usage: '/poll "" "" ""' },
  { name: "topic", usage: "/topic " },
  { name: "invite", usage: "/invite @" },
  { name: "kick", usage: "/kick @" },
];
const COMMAND_QUERY = /^\/([a-z0-9_-]{0,32})$/iu;

/** Typing "/" at the start of the composer lists the commands; ↑/↓ pick, Enter/Tab complete. */
export class CommandBox extends Suggestions {
  constructor(input, list) {
    super(input, list, "command-option");
  }

  update() {
    const caret = this.input.selectionStart;
    const match = caret === this.input.selectionEnd && this.input.value.slice(0, caret).match(COMMAND_QUERY);
    if (!match || caret !== this.input.value.length) return this.close();
    const query = match[1].toLowerCase();
    return this.offer(COMMANDS.filter((command) => command.name.startsWith(query)));
  }

  optionContent(command) {
    return [part("command-name", `/${command.name}`), part("command-about", t(`command_${command.name}`))];
  }

  render() {
    if (this.list.hidden) this.otherControls = this.input.getAttribute("aria-controls"); // the mention list's
    super.render();
    this.input.setAttribute("aria-controls", this.list.id);
  }

  close() {
    if (this.list.hidden) return;
    super.close();
    if (this.otherControls) this.input.setAttribute("aria-controls", this.otherControls);
  }

  choose(index) {
    const command = this.options[index];
    if (!command) return;
    const quote = command.usage.indexOf('""'); // a poll: the caret goes inside the question
    this.write(command.usage, quote >= 0 ? quote + 1 : command.usage.length);
  }
}
