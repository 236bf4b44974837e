using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Auth;

public sealed record Membership(Guid TenantId, string TenantName, string TenantSlug, string Role);

/// <summary>
/// Puts the current tenant (last used, else the first by name) and the member's role for it into the sign-in
/// cookie. The security-stamp revalidation rebuilds it, so a removed member loses access at the next check.
/// </summary>
public sealed class ConsoleClaimsPrincipalFactory(
    UserManager<ApplicationUser> users,
    RoleManager<IdentityRole<Guid>> roles,
    IOptions<IdentityOptions> options,
    ContextScopes scopes)
    : UserClaimsPrincipalFactory<ApplicationUser, IdentityRole<Guid>>(users, roles, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(ApplicationUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        identity.AddClaim(new Claim(ConsoleClaims.DisplayName, string.IsNullOrEmpty(user.DisplayName) ? user.Email ?? "" : user.DisplayName));
        var memberships = await MembershipsAsync(scopes, user.Id);
        var current = memberships.FirstOrDefault(m => m.TenantId == user.LastTenantId) ?? memberships.FirstOrDefault();
        if (current is not null)
        {
            identity.AddClaim(new Claim(ConsoleClaims.TenantId, current.TenantId.ToString()));
            identity.AddClaim(new Claim(ConsoleClaims.TenantRole, current.Role));
            identity.AddClaim(new Claim(ConsoleClaims.TenantName, current.TenantName));
        }
        return identity;
    }

    /// <summary>The user's tenants. Runs in the user's own context: RLS lets a user see only their memberships.</summary>
    public static async Task<IReadOnlyList<Membership>> MembershipsAsync(ContextScopes scopes, Guid userId, CancellationToken ct = default)
    {
        await using var work = scopes.ForUser(userId);
        return await (from m in work.Db.TenantMembers
                      join t in work.Db.Tenants on m.TenantId equals t.Id
                      where m.UserId == userId
                      orderby t.Name
                      select new Membership(t.Id, t.Name, t.Slug, m.Role.ToString()))
            .ToListAsync(ct);
    }
}
