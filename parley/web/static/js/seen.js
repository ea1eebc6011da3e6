// "Seen by": under my newest message, the other members whose read marker reached it. Starts
// from the members listing's `last_read_seq` and follows the room's `read` frames.
import { data, t } from "./page-data.js";

const NAMES_SHOWN = 3;

export class SeenBy {
  constructor(timeline, members) {
    this.timeline = timeline;
    this.members = members;
    this.reads = new Map(); // member id -> read seq
    this.node = document.createElement("p");
    this.node.className = "seen-by";
    this.node.id = "seen-by";
  }

  /** Take the markers of a (re)loaded member list; never step a marker back. */
  fromMembers() {
    for (const member of this.members.members.values()) {
      this.read(member.id, member.last_read_seq ?? 0, false);
    }
    this.render();
  }

  read(memberId, seq, render = true) {
    if (seq > (this.reads.get(memberId) ?? 0)) this.reads.set(memberId, seq);
    if (render) this.render();
  }

  render() {
    const last = this.timeline.lastOwn();
    const li = last ? this.timeline.bySeq.get(last.seq) : null;
    const others = [...this.members.members.values()].filter((member) => member.id !== data.me.id);
    const seers = others.filter((member) => (this.reads.get(member.id) ?? 0) >= (last?.seq ?? Infinity));
    if (!li || seers.length === 0) {
      this.node.remove();
      return;
    }
    const names = seers.map((member) => member.nickname).sort((a, b) => a.localeCompare(b));
    let text;
    if (others.length > 1 && seers.length === others.length) text = t("seen_by_all");
    else {
      const shown = names.slice(0, NAMES_SHOWN).join(", ");
      const more = names.length > NAMES_SHOWN ? ` +${names.length - NAMES_SHOWN}` : "";
      text = t("seen_by", { names: shown + more });
    }
    this.node.textContent = text;
    if (this.node.parentElement !== li) li.append(this.node);
  }
}
