// Small helpers the Blazor components call through JS interop.
window.consoleApp = {
  setCookie(name, value) {
    document.cookie = `${encodeURIComponent(name)}=${encodeURIComponent(value)}; path=/; max-age=31536000; samesite=lax`;
  },

  // Inbox: keep the newest message in view.
  scrollToEnd(element) {
    if (element) element.scrollTop = element.scrollHeight;
  },

  // The per-user choice to be alerted (sound + notification) when a customer needs a person: off until turned on,
  // kept in this browser (where the notification permission lives too), one key per user.
  alerts: {
    key: null,
    forUser(userId) {
      this.key = `console-alerts:${userId}`;
      return this.enabled();
    },
    enabled() {
      try { return !!this.key && localStorage.getItem(this.key) === 'on'; } catch { return false; }
    },
    async set(on) {
      if (!this.key) return { enabled: false, permission: 'unsupported' };
      let permission = 'Notification' in window ? Notification.permission : 'unsupported';
      // Asked once, in answer to this click; a refusal still leaves the sound.
      if (on && permission === 'default') permission = await Notification.requestPermission();
      try { on ? localStorage.setItem(this.key, 'on') : localStorage.removeItem(this.key); } catch { /* private mode */ }
      return { enabled: on, permission };
    },
  },

  // A conversation now needs a human: a short chime (wwwroot/sounds/handoff.wav) and, when allowed, a desktop
  // notification that opens it — only for a user who turned alerts on. Browsers may refuse sound before the first
  // click; that is not an error.
  ring(title, body, href) {
    if (!this.alerts.enabled()) return;
    try {
      const audio = new Audio('sounds/handoff.wav');
      audio.play().catch(() => {});
    } catch { /* no audio device */ }
    if ('Notification' in window && Notification.permission === 'granted') {
      const n = new Notification(title, { body, tag: href, icon: 'favicon.svg' });
      n.onclick = () => { window.focus(); window.location.href = href; };
    }
  },
};
