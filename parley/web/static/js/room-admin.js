// The room management panel (_room_admin.html), there only for the room's owner and admins:
// room settings, roles, mutes, bans, handing the room over and deleting it. Everything goes
// through the JSON API, which authorises each action again; lists follow the people list
// (reloaded on `member` frames), so a change made elsewhere shows here too.
import { api, ApiError } from "./api.js";
import { data, errorText, formatTime, t } from "./page-data.js";
import { initRetention } from "./room-retention.js";

const RANK = { owner: 2, admin: 1, member: 0 };
const MUTE_CHOICES = [600, 3600, 86_400]; // seconds
const $ = (id) => document.getElementById(id);

export function problemText(error) {
  return error instanceof ApiError ? errorText(error.code) : t("error");
}

export function say(section, text, isError = false) {
  const node = section.querySelector(".ra-status");
  node.textContent = text;
  node.classList.toggle("is-error", isError);
}

function button(label, accessibleName, onClick, className = "secondary small") {
  const node = document.createElement("button");
  node.type = "button";
  node.className = className;
  node.textContent = label;
  if (accessibleName) node.setAttribute("aria-label", accessibleName);
  node.addEventListener("click", onClick);
  return node;
}

function text(className, value) {
  const node = document.createElement("span");
  node.className = className;
  node.textContent = value;
  return node;
}

function muteLabel(seconds) {
  return seconds >= 86_400 ? t("ra_days", { n: seconds / 86_400 }) : seconds >= 3600 ? t("ra_hours", { n: seconds / 3600 }) : t("ra_minutes", { n: seconds / 60 });
}

class RoomAdmin {
  constructor(roomId, members, panel) {
    this.roomId = roomId;
    this.members = members;
    this.panel = panel;
    this.base = `/api/v1/rooms/${roomId}`;
    this.signature = "";
    this.mutes = [];
    this.bans = [];
    $("ra-settings").addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    $("ra-transfer-start").addEventListener("click", () => this.askTransfer());
    $("ra-transfer-no").addEventListener("click", () => this.closeTransfer(true));
    $("ra-transfer-yes").addEventListener("click", () => this.transfer());
    $("ra-heir").addEventListener("change", () => this.closeTransfer(false));
    $("ra-delete-name").addEventListener("input", () => this.checkDeleteName());
    $("ra-delete-button").addEventListener("click", () => this.deleteRoom());
    const previous = members.onChange;
    members.onChange = () => {
      previous?.();
      this.membersChanged();
    };
  }

  get owner() {
    return data.role === "owner";
  }

  // -- settings ------------------------------------------------------------------------------

  async save() {
    const form = $("ra-settings");
    const number = (id) => Number.parseInt($(id).value, 10);
    const body = {
      name: $("ra-name").value.trim(),
      topic: $("ra-topic").value.trim(),
      capacity: number("ra-capacity"),
      slow_mode_seconds: number("ra-slow"),
      is_private: $("ra-private").checked,
      members_can_invite: $("ra-invite").checked,
    };
    if (!body.name) {
      say(form, t("ra_name_needed"), true);
      $("ra-name").focus();
      return;
    }
    for (const [id, key] of [["ra-capacity", "capacity"], ["ra-slow", "slow_mode_seconds"]]) {
      const input = $(id);
      if (!Number.isInteger(body[key]) || body[key] < Number(input.min) || body[key] > Number(input.max)) {
        say(form, t("ra_number_range", { min: input.min, max: input.max }), true);
        input.focus();
        return;
      }
    }
    say(form, t("ra_saving"));
    try {
      this.showRoom(await api("PATCH", this.base, body));
      say(form, t("ra_saved"));
    } catch (error) {
      say(form, problemText(error), true);
    }
  }

  showRoom(room) {
    $("ra-name").value = room.name;
    $("ra-topic").value = room.topic;
    $("ra-capacity").value = String(room.capacity);
    $("ra-slow").value = String(room.slow_mode_seconds ?? 0);
    $("ra-private").checked = room.is_private;
    $("ra-invite").checked = room.members_can_invite;
    $("room-name").textContent = room.name;
    $("room-topic").textContent = room.topic;
    $("room-topic").hidden = !room.topic;
    data.room.name = room.name;
    this.checkDeleteName();
  }

  // -- members, roles and mutes ----------------------------------------------------------------

  membersChanged() {
    const mine = RANK[data.role] ?? -1;
    this.panel.hidden = mine < RANK.admin; // demoted while the page is open
    for (const node of this.panel.querySelectorAll(".ra-owner")) node.hidden = !this.owner;
    if (this.panel.hidden) return;
    const list = [...this.members.members.values()];
    const signature = `${data.role}|${list.map((m) => `${m.id}:${m.role}`).sort().join(",")}`;
    if (signature === this.signature) return; // a presence change: nothing to redo here
    this.signature = signature;
    this.renderMembers();
    this.renderHeirs();
    this.loadLists();
  }

  outranks(member) {
    return member.id !== data.me.id && (RANK[data.role] ?? -1) > RANK[member.role];
  }

  sortedMembers() {
    return [...this.members.members.values()].sort((a, b) => RANK[b.role] - RANK[a.role] || a.nickname.localeCompare(b.nickname));
  }

  renderMembers() {
    const items = this.sortedMembers().map((member) => {
      const li = document.createElement("li");
      li.dataset.memberId = String(member.id);
      li.append(text("ra-name", member.nickname), text("ra-role", t(`role_${member.role}`)));
      const actions = document.createElement("span");
      actions.className = "ra-actions";
      if (this.owner && member.role !== "owner") {
        const next = member.role === "admin" ? "member" : "admin";
        const label = next === "admin" ? t("ra_make_admin") : t("ra_make_member");
        actions.append(button(label, `${label}: ${member.nickname}`, () => this.setRole(member, next)));
      }
      if (this.outranks(member)) actions.append(this.muteControl(member));
      if (actions.childElementCount) li.append(actions);
      return li;
    });
    $("ra-members").replaceChildren(...items);
  }

  muteControl(member) {
    const wrap = document.createElement("span");
    wrap.className = "ra-mute";
    const select = document.createElement("select");
    select.setAttribute("aria-label", t("ra_mute_for", { name: member.nickname }));
    for (const seconds of MUTE_CHOICES) select.append(new Option(muteLabel(seconds), String(seconds)));
    const go = button(t("ra_mute"), t("ra_mute_named", { name: member.nickname }), () => this.mute(member, Number(select.value)));
    wrap.append(select, go);
    return wrap;
  }

  async setRole(member, role) {
    const section = $("ra-members").closest(".ra-section");
    try {
      await api("PATCH", `${this.base}/members/${member.id}`, { role });
      say(section, t(role === "admin" ? "ra_now_admin" : "ra_now_member", { name: member.nickname }));
      this.members.reloadSoon();
    } catch (error) {
      say(section, problemText(error), true);
    }
  }

  async mute(member, seconds) {
    const section = $("ra-members").closest(".ra-section");
    try {
      await api("POST", `${this.base}/mutes`, { member_id: member.id, seconds });
      say(section, t("ra_muted", { name: member.nickname }));
      await this.loadMutes();
    } catch (error) {
      say(section, problemText(error), true);
    }
  }

  async loadLists() {
    await Promise.all([this.loadMutes(), this.loadBans()]);
  }

  async loadMutes() {
    try {
      this.mutes = await api("GET", `${this.base}/mutes`);
    } catch {
      return; // the list stays as it was; the next member change tries again
    }
    const items = this.mutes.map((mute) => {
      const name = this.members.nickname(mute.member_id) || t("someone");
      const li = document.createElement("li");
      li.append(text("ra-name", name), text("ra-when", t("ra_muted_until", { time: formatTime(mute.until) })));
      const unmute = button(t("ra_unmute"), t("ra_unmute_named", { name }), async () => {
        unmute.disabled = true;
        try {
          await api("DELETE", `${this.base}/mutes/${mute.member_id}`);
        } catch {
          /* gone already: the reload shows it */
        }
        await this.loadMutes();
      });
      li.append(unmute);
      return li;
    });
    $("ra-mutes").replaceChildren(...items);
    $("ra-mutes-empty").hidden = items.length > 0;
  }

  // -- bans ------------------------------------------------------------------------------------

  async loadBans() {
    const found = [];
    try {
      for (let page = 1; page <= 10; page += 1) {
        const result = await api("GET", `${this.base}/bans?page=${page}`);
        found.push(...result.items);
        if (!result.has_more) break;
      }
    } catch {
      return;
    }
    this.bans = found;
    const section = $("ra-bans").closest(".ra-section");
    const items = found.map((ban) => {
      const li = document.createElement("li");
      li.dataset.memberId = String(ban.member.id);
      li.append(text("ra-name", ban.member.nickname));
      const by = ban.banned_by ? ban.banned_by.nickname : t("someone");
      const detail = ban.reason ? t("ra_ban_reason", { by, reason: ban.reason }) : t("ra_ban_by", { by });
      li.append(text("ra-when", `${detail} · ${formatTime(ban.created_at)}`));
      const unban = button(t("ra_unban"), t("ra_unban_named", { name: ban.member.nickname }), async () => {
        unban.disabled = true;
        try {
          await api("DELETE", `${this.base}/bans/${ban.member.id}`);
          say(section, t("ra_unbanned", { name: ban.member.nickname }));
        } catch (error) {
          say(section, problemText(error), true);
        }
        await this.loadBans();
      });
      li.append(unban);
      return li;
    });
    $("ra-bans").replaceChildren(...items);
    $("ra-bans-empty").hidden = items.length > 0;
  }

  // -- handing the room over -------------------------------------------------------------------

  renderHeirs() {
    const select = $("ra-heir");
    const chosen = select.value;
    const heirs = this.sortedMembers().filter((member) => member.id !== data.me.id);
    select.replaceChildren(...heirs.map((member) => new Option(member.nickname, String(member.id))));
    if (heirs.some((member) => String(member.id) === chosen)) select.value = chosen;
    $("ra-transfer-start").disabled = heirs.length === 0;
    this.closeTransfer(false);
  }

  askTransfer() {
    const select = $("ra-heir");
    const name = select.selectedOptions[0]?.textContent;
    if (!name) return;
    $("ra-transfer-question").textContent = t("ra_transfer_question", { name });
    $("ra-transfer-confirm").hidden = false;
    $("ra-transfer-start").hidden = true;
    $("ra-transfer-no").focus();
  }

  closeTransfer(focus) {
    $("ra-transfer-confirm").hidden = true;
    $("ra-transfer-start").hidden = false;
    if (focus) $("ra-transfer-start").focus();
  }

  async transfer() {
    const section = $("ra-transfer");
    const select = $("ra-heir");
    const memberId = Number(select.value);
    const name = select.selectedOptions[0]?.textContent ?? "";
    $("ra-transfer-yes").disabled = true;
    try {
      await api("POST", `${this.base}/owner`, { member_id: memberId });
      data.role = "admin"; // the `member` frame says so too
      this.closeTransfer(false);
      say(section, t("ra_transferred", { name }));
      this.members.reloadSoon();
      this.signature = "";
      this.membersChanged();
    } catch (error) {
      say(section, problemText(error), true);
    } finally {
      $("ra-transfer-yes").disabled = false;
    }
  }

  // -- deleting the room -----------------------------------------------------------------------

  roomName() {
    return $("room-name").textContent.trim();
  }

  checkDeleteName() {
    $("ra-delete-button").disabled = $("ra-delete-name").value.trim() !== this.roomName();
  }

  async deleteRoom() {
    if ($("ra-delete-name").value.trim() !== this.roomName()) return;
    const section = $("ra-delete");
    $("ra-delete-button").disabled = true;
    try {
      await api("DELETE", this.base);
      say(section, t("ra_deleted"));
      location.assign("/");
    } catch (error) {
      say(section, problemText(error), true);
      this.checkDeleteName();
    }
  }
}

/** Start the panel if the page has it (owners and room admins); `members` is the people list. */
export function initRoomAdmin(roomId, members) {
  const panel = $("room-admin");
  if (!panel) return null;
  const admin = new RoomAdmin(roomId, members, panel);
  admin.membersChanged();
  initRetention(roomId);
  return admin;
}
