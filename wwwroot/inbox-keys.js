// Inbox keyboard shortcuts, as Chatwoot has them. A single letter works while the agent is not typing; Alt + the same
// letter works everywhere (also in the reply box). Letters are read from KeyboardEvent.code for Alt (on some layouts
// Alt+J types a character) and from .key otherwise, so Spanish and English keyboards both work; "?" is read from .key.
// The actions click the same buttons a mouse would, so busy states, errors and live updates stay the components' own.

const letters = { j: 'next', k: 'previous', t: 'takeover', e: 'resolve', a: 'assign', l: 'labels', r: 'reply' };
let handler = null;

function typing(target) {
  return !!target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

function clickFirst(selector) {
  const element = document.querySelector(selector);
  if (!element || element.disabled || element.getAttribute('aria-disabled') === 'true') return false;
  element.click();
  return true;
}

function move(step) {
  const rows = [...document.querySelectorAll('[data-testid="conversation-row"]')];
  if (rows.length === 0) return;
  const current = rows.findIndex(r => r.classList.contains('selected'));
  const next = current < 0 ? (step > 0 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, current + step));
  if (next === current) return;
  rows[next].scrollIntoView({ block: 'nearest' });
  rows[next].click();
}

function run(action, dotnet) {
  switch (action) {
    case 'next': move(1); break;
    case 'previous': move(-1); break;
    case 'takeover': clickFirst('[data-shortcut="takeover"]'); break;
    case 'resolve': clickFirst('[data-shortcut="resolve"]'); break;
    case 'assign': clickFirst('[data-shortcut="assign"] button'); break;
    case 'labels': clickFirst('[data-shortcut="labels"] button'); break;
    case 'reply': document.querySelector('.composer textarea')?.focus(); break;
    case 'help': dotnet.invokeMethodAsync('ShowShortcuts'); break;
  }
}

export function attach(dotnet) {
  detach();
  handler = e => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.isComposing) return;
    // The shortcut sheet opens from a key, so the focus is not inside it for the dialog's own Esc: close it here.
    if (e.key === 'Escape' && document.querySelector('[data-testid="shortcuts"]')) {
      e.preventDefault();
      dotnet.invokeMethodAsync('HideShortcuts');
      return;
    }
    // An open dialog or menu owns the keyboard (Esc closes it).
    if (document.querySelector('.mud-dialog-container, .mud-popover-open')) return;
    let action = null;
    if (e.altKey && !e.shiftKey && e.code.startsWith('Key')) {
      action = letters[e.code.slice(3).toLowerCase()] ?? null;
    } else if (!e.altKey && !typing(e.target)) {
      if (e.key === '?') action = 'help';
      else if (!e.shiftKey) action = letters[e.key.toLowerCase()] ?? null;
    }
    if (!action) return;
    e.preventDefault();
    run(action, dotnet);
  };
  document.addEventListener('keydown', handler);
}

export function detach() {
  if (handler) document.removeEventListener('keydown', handler);
  handler = null;
}
