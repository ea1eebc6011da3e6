// Mention autocomplete for the composer: typing "@" and a few letters offers the room's
// members (and "everyone" where the reader may use it); choosing one writes the server's
// token, `<@member_id>` or `<@room>`, which the server resolves when the message is stored.
import { data, t } from "./page-data.js";
import { Suggestions, part } from "./suggestions.js";

const MAX_OPTIONS = 8;
const ROOM_MENTION_LIMIT = 50; // over this size only owners and admins may mention everyone
const QUERY = /(^|\s)@([^\s@<>]{0,32})$/u;

export class MentionBox extends Suggestions {
  constructor(input, list, members) {
    super(input, list, "mention-option");
    this.members = members;
    this.start = -1; // where the "@" is
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
  }

  mayMentionRoom() {
    const moderator = data.role === "owner" || data.role === "admin";
    return moderator || this.members.members.size <= ROOM_MENTION_LIMIT;
  }

  candidates(query) {
    const q = query.toLocaleLowerCase();
    const scored = [];
    for (const member of this.members.members.values()) {
      if (data.me && member.id === data.me.id) continue;
      const name = member.nickname.toLocaleLowerCase();
      const at = name.indexOf(q);
      if (at >= 0) scored.push([at === 0 ? 0 : 1, member.nickname, member]);
    }
    scored.sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));
    const options = scored.slice(0, MAX_OPTIONS).map(([, , m]) => ({ token: `<@${m.id}>`, label: m.nickname, id: m.id }));
    const words = ["room", "everyone", t("mention_room_word").toLocaleLowerCase()];
    if (this.mayMentionRoom() && words.some((word) => word.startsWith(q))) {
      options.push({ token: "<@room>", label: t("mention_room"), id: "room" });
    }
    return options;
  }

  update() {
    const caret = this.input.selectionStart;
    if (caret !== this.input.selectionEnd) return this.close();
    const match = this.input.value.slice(0, caret).match(QUERY);
    if (!match) return this.close();
    this.start = caret - match[2].length - 1;
    return this.offer(this.candidates(match[2]));
  }

  optionContent(option) {
    return [part("mention-name", `@${option.label}`)];
  }

  choose(index) {
    const option = this.options[index];
    if (!option) return;
    const caret = this.input.selectionStart;
    const before = this.input.value.slice(0, this.start);
    const after = this.input.value.slice(caret);
    const insert = `${option.token} `;
    this.write(before + insert + after, before.length + insert.length);
  }
}
