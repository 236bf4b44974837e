// Small helpers the Blazor components call through JS interop.
window.consoleApp = {
  setCookie(name, value) {
    document.cookie = `${encodeURIComponent(name)}=${encodeURIComponent(value)}; path=/; max-age=31536000; samesite=lax`;
  },

  // Inbox: keep the newest message in view.
  scrollToEnd(element) {
    if (element) element.scrollTop = element.scrollHeight;
  },

  notificationState() {
    return 'Notification' in window ? Notification.permission : 'unsupported';
  },

  async requestNotifications() {
    if (!('Notification' in window)) return 'unsupported';
    return await Notification.requestPermission();
  },

  // A conversation now needs a human: a short chime (wwwroot/sounds/handoff.wav) and, when allowed, a desktop
  // notification that opens it. Browsers may refuse sound before the first click; that is not an error.
  ring(title, body, href) {
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
