using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Auth;

/// <summary>
/// Re-checks a connected circuit's user every minute: the security stamp (a password change ends old sessions) and the
/// membership of the workspace the circuit works in (a removed member's open screens lose it within the minute).
/// </summary>
public sealed class RevalidatingIdentityStateProvider(ILoggerFactory loggerFactory, IServiceScopeFactory scopeFactory,
    IOptions<IdentityOptions> options) : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(1);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken ct)
    {
        try
        {
            return await StillValidAsync(authenticationState, ct);
        }
        catch (ObjectDisposedException)
        {
            // The app is shutting down under an open circuit: there is nothing left to ask, and answering "invalid"
            // would sign the user out and render a page on services that are already gone.
            return true;
        }
    }

    private async Task<bool> StillValidAsync(AuthenticationState authenticationState, CancellationToken ct)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var user = await users.GetUserAsync(authenticationState.User);
        if (user is null) return false;
        if (users.SupportsUserSecurityStamp)
        {
            var principalStamp = authenticationState.User.FindFirstValue(options.Value.ClaimsIdentity.SecurityStampClaimType);
            if (principalStamp != await users.GetSecurityStampAsync(user)) return false;
        }
        if (authenticationState.User.GetTenantId() is not { } tenantId) return true;
        await using var work = scope.ServiceProvider.GetRequiredService<ContextScopes>().ForTenant(tenantId, user.Id);
        return await work.Db.TenantMembers.AnyAsync(m => m.TenantId == tenantId && m.UserId == user.Id, ct);
    }
}

/// <summary>A circuit's scope is not a request's: copy the circuit user's tenant into the circuit's TenantContext.</summary>
public sealed class TenantCircuitHandler(AuthenticationStateProvider auth, TenantContext tenant) : CircuitHandler
{
    public override async Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        var state = await auth.GetAuthenticationStateAsync();
        state.User.ApplyTo(tenant);
        await base.OnCircuitOpenedAsync(circuit, cancellationToken);
    }
}
