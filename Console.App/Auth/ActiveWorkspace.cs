using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Auth;

/// <summary>
/// A suspended workspace is closed to its own members and keys outside the pages (which show the suspended notice):
/// no live hub connection (this requirement, on the hub policy: the negotiate request gets 403) and no REST call
/// (<see cref="Api.SuspendedWorkspaceFilter"/>, which answers with a problem naming why). The platform key and super
/// admins act on it all the same; customers' webhooks are still stored.
/// </summary>
public sealed class ActiveWorkspaceRequirement : IAuthorizationRequirement
{
    public static async Task<bool> IsSuspendedAsync(ContextScopes scopes, Guid tenantId, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await work.Db.Tenants.AnyAsync(t => t.Id == tenantId && t.Status == TenantStatus.Suspended, ct);
    }
}

public sealed class ActiveWorkspaceHandler(ContextScopes scopes) : AuthorizationHandler<ActiveWorkspaceRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, ActiveWorkspaceRequirement requirement)
    {
        var user = context.User;
        // Inside a circuit (no HttpContext) the pages' own gate shows the notice; here only requests are answered.
        if (user.IsPlatformApiCaller() || user.IsSuperAdmin() || context.Resource is not HttpContext http
            || user.GetTenantId() is not { } tenantId
            || !await IsSuspendedAsync(tenantId, http.RequestAborted))
            context.Succeed(requirement);
    }

    private Task<bool> IsSuspendedAsync(Guid tenantId, CancellationToken ct) => ActiveWorkspaceRequirement.IsSuspendedAsync(scopes, tenantId, ct);
}
