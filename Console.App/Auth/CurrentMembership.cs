using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Auth;

/// <summary>
/// The cookie says which workspace and role a person had when it was issued; this checks they still have it, so a
/// removed member loses the workspace on their next page load or hub connection, and a demoted manager loses the manager
/// pages, without waiting for the cookie's security-stamp check. API keys (no person) are not concerned.
/// Inside a live circuit (the router's and AuthorizeView's checks: the resource is not an HttpContext) it answers from the
/// claims at once: an awaited query there makes the router show "authorizing" and rebuild the page on every navigation,
/// even a query-string change. A circuit's membership is re-checked by <see cref="RevalidatingIdentityStateProvider"/>.
/// </summary>
public sealed class CurrentMembershipRequirement(bool managers) : IAuthorizationRequirement
{
    public bool Managers { get; } = managers;
}

public sealed class CurrentMembershipHandler(ContextScopes scopes) : AuthorizationHandler<CurrentMembershipRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, CurrentMembershipRequirement requirement)
    {
        var user = context.User;
        if (user.FindFirst(ConsoleClaims.ApiScope) is not null)
        {
            context.Succeed(requirement);
            return;
        }
        if (user.GetTenantId() is not { } tenantId || user.GetUserId() is not { } userId) return;
        if (context.Resource is not HttpContext)
        {
            context.Succeed(requirement);
            return;
        }
        await using var work = scopes.ForTenant(tenantId, userId);
        var role = await work.Db.TenantMembers.AsNoTracking().Where(m => m.TenantId == tenantId && m.UserId == userId)
            .Select(m => (TenantRole?)m.Role).SingleOrDefaultAsync();
        if (role is null) return;
        if (requirement.Managers && role is not (TenantRole.Owner or TenantRole.Admin)) return;
        context.Succeed(requirement);
    }
}
