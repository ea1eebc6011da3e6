// The WebSocket to /ws (cookie-authenticated, same origin) that stays up: reconnects with
// exponential backoff and jitter, pauses while the browser is offline, notices a dead link
// by keepalive pings (no pong before the next ping), and refreshes the session once when the server says 4001.
import { goToLogin, refreshSession } from "./api.js";

const PING_EVERY_MS = 15_000;
const MAX_BACKOFF_MS = 15_000;

export class ChatSocket {
  /**
   * onFrame(frame): every server frame but pong; onState(state): "connecting", "connected",
   * "reconnecting", "offline", "gave_up"; onDown(): the socket just went away.
   */
  constructor({ onFrame, onState, onDown }) {
    this.onFrame = onFrame;
    this.onState = onState;
    this.onDown = onDown;
    this.ws = null;
    this.attempt = 0;
    this.authRetried = false;
    this.timer = null;
    this.pingTimer = null;
    this.pingId = 0;
    this.awaitingPong = null;
  }

  get url() {
    return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
  }

  start() {
    addEventListener("online", () => this.reconnectNow());
    addEventListener("offline", () => this.drop("offline"));
    this.connect();
  }

  connect() {
    clearTimeout(this.timer);
    if (!navigator.onLine) {
      this.onState("offline");
      return;
    }
    this.onState(this.attempt === 0 ? "connecting" : "reconnecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener("message", (event) => this.receive(ws, event));
    ws.addEventListener("close", (event) => {
      if (this.ws === ws) this.lost(event.code);
    });
  }

  receive(ws, event) {
    if (this.ws !== ws) return;
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (frame.type === "pong") {
      if (frame.id === this.awaitingPong) this.awaitingPong = null;
      return;
    }
    if (frame.type === "ready") {
      this.attempt = 0;
      this.authRetried = false;
      this.startPings();
      this.onState("connected");
    }
    this.onFrame(frame);
  }

  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  startPings() {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (this.awaitingPong !== null) {
        this.drop("reconnecting"); // no answer to the last ping: the link is dead
        return;
      }
      this.pingId += 1;
      this.awaitingPong = this.pingId;
      this.send({ type: "ping", id: this.pingId });
    }, PING_EVERY_MS);
  }

  /** Forget the current socket at once (no waiting for a close handshake on a dead link). */
  drop(state) {
    const ws = this.ws;
    this.ws = null;
    clearInterval(this.pingTimer);
    this.awaitingPong = null;
    if (ws) {
      try {
        ws.close(4000, "client reconnects");
      } catch {
        /* already closing */
      }
      this.onDown();
    }
    if (state === "offline" || !navigator.onLine) {
      clearTimeout(this.timer);
      this.onState("offline");
    } else {
      this.schedule();
    }
  }

  reconnectNow() {
    if (this.ws) return;
    this.attempt = 0;
    this.connect();
  }

  schedule() {
    clearTimeout(this.timer);
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt += 1;
    this.onState("reconnecting");
    this.timer = setTimeout(() => this.connect(), delay);
  }

  async lost(code) {
    this.ws = null;
    clearInterval(this.pingTimer);
    this.awaitingPong = null;
    this.onDown();
    if (code === 4001) {
      // the access cookie expired (or the session ended): refresh once, then retry
      if (!this.authRetried && (await refreshSession())) {
        this.authRetried = true;
        this.connect();
      } else {
        goToLogin();
      }
      return;
    }
    if (code === 4003 || code === 1009) {
      this.onState("gave_up");
      return;
    }
    if (!navigator.onLine) {
      this.onState("offline");
      return;
    }
    this.schedule();
  }
}
