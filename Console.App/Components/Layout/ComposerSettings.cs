using Microsoft.AspNetCore.Components.Authorization;
using OperatorConsole.App.Auth;
using OperatorConsole.Infrastructure.Identity;

namespace OperatorConsole.App.Components.Layout;

/// <summary>
/// The signed-in person's composer keys for this circuit: read once, changed from the user menu, and announced to the
/// open composer so the new keys and hint apply at once, without a reload.
/// </summary>
public sealed class ComposerSettings(UserPreferences preferences, AuthenticationStateProvider auth)
{
    private bool? _sendWithCtrlEnter;

    public event Action? Changed;

    public async Task<bool> SendWithCtrlEnterAsync()
    {
        if (_sendWithCtrlEnter is { } known) return known;
        var user = (await auth.GetAuthenticationStateAsync()).User;
        _sendWithCtrlEnter = user.GetUserId() is { } id && await preferences.SendWithCtrlEnterAsync(id);
        return _sendWithCtrlEnter.Value;
    }

    public async Task SetSendWithCtrlEnterAsync(bool value)
    {
        var user = (await auth.GetAuthenticationStateAsync()).User;
        if (user.GetUserId() is not { } id) return;
        await preferences.SetSendWithCtrlEnterAsync(id, value);
        _sendWithCtrlEnter = value;
        Changed?.Invoke();
    }
}
