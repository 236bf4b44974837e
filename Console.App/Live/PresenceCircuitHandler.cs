using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;
using OperatorConsole.App.Auth;
using OperatorConsole.Infrastructure.Live;

namespace OperatorConsole.App.Live;

/// <summary>
/// A Blazor circuit with a live connection counts as the member being here. Connection up/down rather than circuit
/// open/close: a circuit outlives a dropped connection for minutes, and nobody is at that screen meanwhile. The
/// conversations open in it stop counting as viewed the same way (<see cref="CircuitViews"/>).
/// </summary>
public sealed class PresenceCircuitHandler(AuthenticationStateProvider auth, PresenceService presence, CircuitViews views) : CircuitHandler
{
    private (Guid TenantId, Guid UserId)? _member;
    private bool _counted;

    public override async Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        if (_member is null)
        {
            var user = (await auth.GetAuthenticationStateAsync()).User;
            if (user.GetTenantId() is { } tenantId && user.GetUserId() is { } userId) _member = (tenantId, userId);
        }
        if (_member is { } m && !_counted)
        {
            presence.Connected(m.TenantId, m.UserId);
            _counted = true;
        }
        views.ConnectionUp();
        await base.OnConnectionUpAsync(circuit, cancellationToken);
    }

    public override Task OnConnectionDownAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        views.ConnectionDown();
        Release();
        return base.OnConnectionDownAsync(circuit, cancellationToken);
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        Release();
        return base.OnCircuitClosedAsync(circuit, cancellationToken);
    }

    private void Release()
    {
        if (!_counted || _member is not { } m) return;
        presence.Disconnected(m.TenantId, m.UserId);
        _counted = false;
    }
}
