// Sign-up proof-of-work: find a number n such that SHA-256("<challenge>:<n>") starts with the asked number of zero
// bits, put it in the form, and only then let the form go. Starts as soon as the form shows, so it is usually done
// before the person finishes typing. Loaded as a file: the content security policy allows no inline script.
(() => {
  const zeroBits = (bytes, bits) => {
    for (let i = 0; i < bits; i++) if (bytes[i >> 3] & (0x80 >> (i & 7))) return false;
    return true;
  };

  async function solve(challenge, bits) {
    const encoder = new TextEncoder();
    for (let n = 0; ; n++) {
      const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(`${challenge}:${n}`)));
      if (zeroBits(hash, bits)) return String(n);
    }
  }

  function arm() {
    const form = document.querySelector('form[data-pow-challenge]');
    if (!form || form.dataset.powArmed) return;
    form.dataset.powArmed = '1';
    const field = form.querySelector('input[name="Input.PowSolution"]');
    const button = form.querySelector('button[type="submit"]');
    const status = document.getElementById('pow-status');
    if (status) status.hidden = true;
    if (button) button.disabled = false;
    const work = solve(form.dataset.powChallenge, Number(form.dataset.powBits || 16)).then(n => { field.value = n; });
    form.addEventListener('submit', async e => {
      if (field.value) return;
      e.preventDefault();
      if (button) button.disabled = true;
      await work;
      if (button) button.disabled = false;
      form.requestSubmit(button || undefined);
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', arm); else arm();
  // Blazor's enhanced navigation swaps the page without reloading scripts.
  if (window.Blazor?.addEventListener) window.Blazor.addEventListener('enhancedload', arm);
})();
