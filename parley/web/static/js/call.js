// One-to-one calls between two members of the room: WebRTC, signalled with `call` frames over
// the tab's socket (the server relays each frame to the callee's sockets alone). One call at a time.
// States (shown in #call[data-state]): idle, calling, ringing, connecting, connected, ended.
import { data, t } from "./page-data.js";

const RING_TIMEOUT_MS = 30_000;

export class Calls {
  constructor(roomId, socket, nameOf, root) {
    this.roomId = roomId;
    this.socket = socket;
    this.nameOf = nameOf;
    this.root = root;
    this.status = root.querySelector("#call-status");
    this.incoming = root.querySelector("#call-incoming");
    this.hangupButton = root.querySelector("#call-hangup");
    this.localVideo = root.querySelector("#local-video");
    this.remoteVideo = root.querySelector("#remote-video");
    this.peer = null; // the other member's id
    this.pc = null;
    this.stream = null;
    this.remoteSet = false;
    this.queuedIce = [];
    this.timer = null;
    this.received = 0; // call frames received (shown as data-frames, for tests and debugging)
    root.querySelector("#call-accept").addEventListener("click", () => this.accept());
    root.querySelector("#call-reject").addEventListener("click", () => this.reject());
    this.hangupButton.addEventListener("click", () => this.hangup());
    addEventListener("pagehide", () => {
      if (this.peer !== null) this.signal("hangup");
    });
  }

  get state() {
    return this.root.dataset.state;
  }

  setState(state, text) {
    this.root.dataset.state = state;
    this.root.hidden = state === "idle";
    this.status.textContent = text;
    this.incoming.hidden = state !== "ringing";
    this.hangupButton.hidden = !["calling", "connecting", "connected"].includes(state);
  }

  busy() {
    return ["calling", "ringing", "connecting", "connected"].includes(this.state);
  }

  signal(action, payload) {
    const frame = { type: "call", room_id: this.roomId, to: this.peer, action };
    if (payload !== undefined) frame.data = payload;
    this.socket.send(frame);
  }

  async media() {
    if (!this.stream) {
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
      this.localVideo.srcObject = this.stream;
    }
    return this.stream;
  }

  /** Call `memberId` (a participant of the room). */
  async start(memberId) {
    if (this.busy()) {
      this.setState(this.state, t("call_busy"));
      return;
    }
    this.peer = memberId;
    this.setState("calling", t("call_calling", { name: this.nameOf(memberId) }));
    try {
      await this.media();
    } catch {
      this.finish(t("call_no_media"));
      return;
    }
    this.signal("request");
    this.timer = setTimeout(() => {
      if (this.state === "calling") {
        this.signal("hangup");
        this.finish(t("call_no_answer"));
      }
    }, RING_TIMEOUT_MS);
  }

  async accept() {
    if (this.state !== "ringing") return;
    this.setState("connecting", t("call_connecting", { name: this.nameOf(this.peer) }));
    try {
      await this.media();
    } catch {
      this.signal("reject");
      this.finish(t("call_no_media"));
      return;
    }
    this.connection(); // ready before the offer arrives
    this.signal("accept");
  }

  /** Answer a call the member accepted on another page (ring.js); the caller still waits. */
  answer(memberId) {
    if (this.busy()) return;
    this.peer = memberId;
    this.setState("ringing", t("call_incoming", { name: this.nameOf(memberId) }));
    this.accept();
  }

  reject() {
    if (this.state !== "ringing") return;
    this.signal("reject");
    this.finish(t("call_ended"));
  }

  hangup() {
    if (this.peer !== null) this.signal("hangup");
    this.finish(t("call_ended"));
  }

  connection() {
    const pc = new RTCPeerConnection({ iceServers: data.ice_servers ?? [] });
    this.pc = pc;
    for (const track of this.stream.getTracks()) pc.addTrack(track, this.stream);
    pc.addEventListener("icecandidate", (event) => {
      if (event.candidate) this.signal("ice", event.candidate.toJSON());
    });
    pc.addEventListener("track", (event) => {
      this.remoteVideo.srcObject = event.streams[0] ?? new MediaStream([event.track]);
    });
    const watch = () => {
      if (pc !== this.pc) return;
      const states = [pc.connectionState, pc.iceConnectionState];
      if (states.includes("connected") || states.includes("completed")) {
        if (this.state !== "connected") {
          this.setState("connected", t("call_connected", { name: this.nameOf(this.peer) }));
        }
      } else if (pc.connectionState === "failed" || pc.iceConnectionState === "failed") {
        this.hangup();
      }
    };
    pc.addEventListener("connectionstatechange", watch);
    pc.addEventListener("iceconnectionstatechange", watch);
    return pc;
  }

  async addIce(candidate) {
    if (!this.pc || !this.remoteSet) {
      this.queuedIce.push(candidate);
      return;
    }
    try {
      await this.pc.addIceCandidate(candidate);
    } catch {
      /* a stale or malformed candidate: the others may still connect */
    }
  }

  async remoteDescription(description) {
    await this.pc.setRemoteDescription(description);
    this.remoteSet = true;
    for (const candidate of this.queuedIce.splice(0)) await this.addIce(candidate);
  }

  /** A `call` frame from the server (always addressed to this member). */
  async handle(frame) {
    this.received += 1;
    this.root.dataset.frames = String(this.received);
    if (frame.room_id !== this.roomId || typeof frame.from !== "number") return;
    const from = frame.from;
    if (frame.action === "request") {
      if (this.busy()) {
        this.socket.send({ type: "call", room_id: this.roomId, to: from, action: "reject" });
        return;
      }
      this.peer = from;
      this.setState("ringing", t("call_incoming", { name: this.nameOf(from) }));
      this.root.querySelector("#call-accept").focus();
      return;
    }
    if (from !== this.peer) return; // not the call in progress
    try {
      await this.step(frame);
    } catch {
      this.hangup();
    }
  }

  async step(frame) {
    const payload = frame.data && typeof frame.data === "object" ? frame.data : {};
    switch (frame.action) {
      case "accept": {
        if (this.state !== "calling") return;
        clearTimeout(this.timer);
        this.setState("connecting", t("call_connecting", { name: this.nameOf(this.peer) }));
        const pc = this.connection();
        const offer = await pc.createOffer();
        await pc.setLocalDescription(offer);
        this.signal("offer", { type: offer.type, sdp: offer.sdp });
        break;
      }
      case "offer": {
        if (!this.pc) return;
        await this.remoteDescription({ type: "offer", sdp: String(payload.sdp ?? "") });
        const answer = await this.pc.createAnswer();
        await this.pc.setLocalDescription(answer);
        this.signal("answer", { type: answer.type, sdp: answer.sdp });
        break;
      }
      case "answer":
        if (this.pc) await this.remoteDescription({ type: "answer", sdp: String(payload.sdp ?? "") });
        break;
      case "ice":
        await this.addIce(payload);
        break;
      case "reject":
        this.finish(t("call_rejected", { name: this.nameOf(this.peer) }));
        break;
      case "hangup":
        this.finish(t("call_ended"));
        break;
      default:
        break;
    }
  }

  /** Tear the call down (no frame sent) and show why it ended. */
  finish(text) {
    clearTimeout(this.timer);
    this.pc?.close();
    this.pc = null;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.localVideo.srcObject = null;
    this.remoteVideo.srcObject = null;
    this.peer = null;
    this.remoteSet = false;
    this.queuedIce = [];
    this.setState("ended", text);
  }
}
