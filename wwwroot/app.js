// Small helpers the Blazor components call through JS interop.
window.consoleApp = {
  setCookie(name, value) {
    document.cookie = `${encodeURIComponent(name)}=${encodeURIComponent(value)}; path=/; max-age=31536000; samesite=lax`;
  },

  // Agent editor: the prompt box's text and caret, so an inserted variable lands where the owner is typing (the
  // server's copy may lag a debounce behind).
  caretAndText(selector) {
    const box = document.querySelector(selector);
    return box ? { text: box.value, caret: box.selectionStart ?? -1 } : null;
  },

  // A row of links that scrolls sideways on a phone (the command center's sections): bring the current one into view,
  // centred, without moving the page itself.
  revealCurrent(row) {
    const current = row && row.querySelector('[aria-current="page"]');
    if (!current || row.scrollWidth <= row.clientWidth) return;
    const r = row.getBoundingClientRect(), c = current.getBoundingClientRect();
    row.scrollLeft += (c.left + c.width / 2) - (r.left + r.width / 2);
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

  // The inbox composer's keyboard, in one place (WhatsApp Web / Chatwoot habits). Keys that must not reach the text
  // box (Enter that sends, arrows in the quick-reply list) are decided here, synchronously, because the server cannot
  // cancel a key press; the decision goes to the component with the box's current text.
  composer: {
    attach(root, dotNet, sendWithCtrlEnter) {
      if (!root) return;
      const state = { dotNet, ctrl: !!sendWithCtrlEnter };
      const onKey = e => {
        if (e.isComposing || e.keyCode === 229) return; // an IME is composing a character
        const target = e.target;
        if (e.key === 'Escape' && root.querySelector('.attachment-preview')) {
          e.preventDefault();
          state.dotNet.invokeMethodAsync('CancelAttachmentFromKeyboard');
          return;
        }
        const inCaption = target.closest && target.closest('.attachment-caption');
        const inDraft = target.closest && target.closest('.composer-input');
        if (!inCaption && !inDraft) return;
        const ctrl = e.ctrlKey || e.metaKey;
        if (inDraft && root.querySelector('.canned-suggestions')
            && (['ArrowDown', 'ArrowUp', 'Tab', 'Escape'].includes(e.key) || (e.key === 'Enter' && !ctrl && !e.shiftKey))) {
          e.preventDefault();
          e.stopPropagation();
          state.dotNet.invokeMethodAsync('SuggestionKey', e.shiftKey && e.key === 'Tab' ? 'ShiftTab' : e.key, target.value);
          return;
        }
        if (e.key !== 'Enter') return;
        // Ctrl+Enter always sends; plain Enter sends unless the person chose Ctrl+Enter; Shift+Enter is a new line.
        const sends = ctrl || (!state.ctrl && !e.shiftKey && !e.altKey);
        if (!sends) return;
        e.preventDefault();
        state.dotNet.invokeMethodAsync(inCaption ? 'SendAttachmentFromKeyboard' : 'SendFromKeyboard', target.value);
      };
      // Esc drops a previewed file wherever the focus is (it may be on the page after the file dialog), unless a
      // dialog is open: then Esc is the dialog's.
      const onPageKey = e => {
        if (e.key !== 'Escape' || e.defaultPrevented || root.contains(e.target)) return;
        if (!root.querySelector('.attachment-preview') || document.querySelector('.mud-dialog')) return;
        e.preventDefault();
        state.dotNet.invokeMethodAsync('CancelAttachmentFromKeyboard');
      };
      root.addEventListener('keydown', onKey, true);
      document.addEventListener('keydown', onPageKey);
      root._composer = { state, onKey, onPageKey };
      root.dataset.keys = state.ctrl ? 'ctrl-enter' : 'enter'; // which keys send, for scripts and tests
    },

    configure(root, sendWithCtrlEnter) {
      if (!root || !root._composer) return;
      root._composer.state.ctrl = !!sendWithCtrlEnter;
      root.dataset.keys = sendWithCtrlEnter ? 'ctrl-enter' : 'enter';
    },

    detach(root) {
      if (!root || !root._composer) return;
      root.removeEventListener('keydown', root._composer.onKey, true);
      document.removeEventListener('keydown', root._composer.onPageKey);
      delete root._composer;
    },

    // A local address for the chosen file, so an image is previewed without sending a byte to the server.
    previewUrl(root) {
      // The file upload adds a fresh input each time it is cleared: the newest one holding a file is the choice.
      const inputs = root ? Array.from(root.querySelectorAll('input[type=file]')).reverse() : [];
      const input = inputs.find(i => i.files && i.files.length > 0);
      const file = input && input.files[0];
      return file && file.type.startsWith('image/') ? URL.createObjectURL(file) : null;
    },

    release(url) {
      if (url) URL.revokeObjectURL(url);
    },

    focus(root, selector) {
      const box = root && root.querySelector(selector || '.composer-input textarea, .composer-input input');
      if (box) box.focus();
    },
  },
};
