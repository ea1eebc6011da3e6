// The participant list: who is in the room, who is online (the members endpoint, then
// `presence` frames), and the moderation (remove, ban) and invite controls.
import { api, ApiError } from "./api.js";
import { data, errorText, t } from "./page-data.js";

const RANK = { owner: 2, admin: 1, member: 0 };
const MAX_PAGES = 20;
const CONFIRM_MS = 4000;

export class Members {
  constructor(roomId, list, count, onChange) {
    this.roomId = roomId;
    this.list = list;
    this.count = count;
    this.onChange = onChange;
    this.members = new Map(); // id -> {id, nickname, role, online}
    this.extraActions = null; // member -> [buttons] shown for everyone but oneself
    this.reloadTimer = null;
    this.selfOnline = false; // set by the page once its socket is connected
  }

  nickname(id) {
    return this.members.get(id)?.nickname ?? "";
  }

  async load() {
    const found = new Map();
    for (let page = 1; page <= MAX_PAGES; page += 1) {
      const result = await api("GET", `/api/v1/rooms/${this.roomId}/members?page=${page}`);
      for (const member of result.items) found.set(member.id, member);
      if (!result.has_more) break;
    }
    const mine = found.get(data.me.id);
    if (mine && this.selfOnline) mine.online = true; // my socket is up, whatever presence says yet
    this.members = found;
    this.render();
  }

  /** Reload soon (membership frames come in bursts: a join is a message and a member frame). */
  reloadSoon() {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => this.load().catch(() => {}), 300);
  }

  setOnline(memberId, online) {
    const member = this.members.get(memberId);
    if (!member || member.online === online) return;
    member.online = online;
    this.render();
  }

  canModerate(target) {
    const mine = RANK[data.role] ?? -1;
    return target.id !== data.me.id && mine >= RANK.admin && mine > RANK[target.role];
  }

  render() {
    const sorted = [...this.members.values()].sort(
      (a, b) => Number(b.online) - Number(a.online) || RANK[b.role] - RANK[a.role] || a.nickname.localeCompare(b.nickname),
    );
    this.list.replaceChildren(...sorted.map((member) => this.item(member)));
    const online = sorted.filter((m) => m.online).length;
    this.count.textContent = `(${online}/${sorted.length})`;
    this.onChange?.();
  }

  item(member) {
    const li = document.createElement("li");
    li.className = "member";
    li.dataset.memberId = String(member.id);
    const dot = document.createElement("span");
    dot.className = member.online ? "dot online" : "dot";
    dot.setAttribute("aria-hidden", "true");
    const name = document.createElement("span");
    name.className = "member-name";
    name.textContent = member.nickname;
    const status = document.createElement("span");
    status.className = "visually-hidden";
    status.textContent = `, ${member.online ? t("online") : t("offline_status")}`;
    const role = document.createElement("span");
    role.className = "member-role";
    const labels = member.role === "member" ? [] : [t(`role_${member.role}`)];
    if (member.id === data.me.id) labels.push(t("you"));
    role.textContent = labels.join(" · ");
    li.append(dot, name, status, role);
    const actions = document.createElement("span");
    actions.className = "member-actions";
    if (member.id !== data.me.id && this.extraActions) actions.append(...this.extraActions(member));
    if (this.canModerate(member)) {
      actions.append(
        this.button(t("kick"), t("kick_named", { name: member.nickname }), () =>
          api("DELETE", `/api/v1/rooms/${this.roomId}/members/${member.id}`),
        ),
        this.button(t("ban"), t("ban_named", { name: member.nickname }), () =>
          api("POST", `/api/v1/rooms/${this.roomId}/bans`, { member_id: member.id }),
        ),
      );
    }
    if (actions.childElementCount) li.append(actions);
    return li;
  }

  /** A two-press button: the first press asks, the second (within 4 s) acts. No dialogs. */
  button(label, accessibleName, action) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary small";
    button.textContent = label;
    button.setAttribute("aria-label", accessibleName);
    let armed = null;
    button.addEventListener("click", async () => {
      if (!armed) {
        button.textContent = t("confirm_again");
        armed = setTimeout(() => {
          armed = null;
          button.textContent = label;
        }, CONFIRM_MS);
        return;
      }
      clearTimeout(armed);
      armed = null;
      button.disabled = true;
      try {
        await action();
        this.reloadSoon();
      } catch (error) {
        button.disabled = false;
        button.textContent = error instanceof ApiError ? errorText(error.code) : t("error");
      }
    });
    return button;
  }
}

/** The invite form of the sidebar: nickname search, then an Invite button per result. */
export function initInvites(roomId, form) {
  if (!form) return;
  const input = form.querySelector("input[type=search]");
  const results = form.querySelector("ul");
  const status = form.querySelector("[role=status]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = input.value.trim();
    results.replaceChildren();
    status.textContent = "";
    if (!q) return;
    try {
      const page = await api("GET", `/api/v1/members?q=${encodeURIComponent(q)}&limit=10`);
      if (!page.items.length) status.textContent = t("no_results");
      for (const member of page.items) results.append(inviteItem(roomId, member, status));
    } catch (error) {
      status.textContent = error instanceof ApiError ? errorText(error.code) : t("error");
    }
  });
}

function inviteItem(roomId, member, status) {
  const li = document.createElement("li");
  const name = document.createElement("span");
  name.textContent = member.nickname;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "small";
  button.textContent = t("invite");
  button.setAttribute("aria-label", t("invite_named", { name: member.nickname }));
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await api("POST", `/api/v1/rooms/${roomId}/invites`, { member_id: member.id });
      status.textContent = t("invited", { name: member.nickname });
      li.remove();
    } catch (error) {
      button.disabled = false;
      status.textContent = error instanceof ApiError ? errorText(error.code) : t("error");
    }
  });
  li.append(name, button);
  return li;
}
