using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.App.Auth;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Api;

/// <summary>
/// Which scope an API route needs, in one table: <c>admin</c> for the workspace's setup (API keys, channels, and
/// changes to the agent, its tools and its knowledge, outbound webhooks, the plan and its payments), <c>read</c> for every other GET, <c>write</c> for every other
/// method. The platform key holds every scope.
/// </summary>
public static class ApiScopeRules
{
    private static readonly string[] AdminAreas = ["channels", "agent", "tools", "knowledge", "webhooks", "billing"];

    public static string Required(string method, string? routePattern)
    {
        var area = AreaOf(routePattern);
        var reading = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
        // Who works here and what was changed are the workspace's setup too, read or written.
        if (area is "api-keys" or "members" or "invitations" or "audit") return ApiKeyScopes.Admin;
        if (!reading && area is not null && AdminAreas.Contains(area)) return ApiKeyScopes.Admin;
        return reading ? ApiKeyScopes.Read : ApiKeyScopes.Write;
    }

    /// <summary>"/api/v1/tenants/{t}/tools/{id:guid}" → "tools"; null for routes outside a tenant.</summary>
    private static string? AreaOf(string? routePattern)
    {
        if (routePattern is null) return null;
        var segments = routePattern.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var tenants = Array.IndexOf(segments, "tenants");
        return tenants >= 0 && segments.Length > tenants + 2 ? segments[tenants + 2] : null;
    }
}

/// <summary>Every /api/v1 call must hold the scope <see cref="ApiScopeRules"/> names for its route.</summary>
public sealed class ApiScopeRequirement : IAuthorizationRequirement;

public sealed class ApiScopeHandler : AuthorizationHandler<ApiScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ApiScopeRequirement requirement)
    {
        if (context.Resource is HttpContext http)
        {
            var pattern = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
            if (context.User.HasApiKeyScope(ApiScopeRules.Required(http.Request.Method, pattern))) context.Succeed(requirement);
        }
        return Task.CompletedTask;
    }
}

/// <summary>
/// The platform key acting inside a tenant is audited in that tenant's trail, as a super admin entering the platform
/// context is: which call, on which tenant.
/// </summary>
public sealed class PlatformApiAuditFilter(ContextScopes scopes, TimeProvider clock) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.User.IsPlatformApiCaller() && http.Request.RouteValues.TryGetValue("t", out var value) && value is string t)
        {
            Guid? tenantId;
            await using (var lookup = scopes.ForSystem("platform api audit"))
            {
                tenantId = Guid.TryParse(t, out var id)
                    ? await lookup.Db.Tenants.Where(x => x.Id == id).Select(x => (Guid?)x.Id).SingleOrDefaultAsync(http.RequestAborted)
                    : await lookup.Db.Tenants.Where(x => x.Slug == t.ToLowerInvariant()).Select(x => (Guid?)x.Id).SingleOrDefaultAsync(http.RequestAborted);
            }
            if (tenantId is { } tenant)
            {
                await using var work = scopes.ForTenant(tenant);
                work.Db.AuditEntries.Add(AuditEntry.Create(tenant, null, "platform-api", "platform.api", "Tenant", tenant.ToString(),
                    $"{http.Request.Method} {http.Request.Path}", clock.GetUtcNow()));
                await work.Db.SaveChangesAsync(http.RequestAborted);
            }
        }
        return await next(context);
    }
}

/// <summary>
/// A suspended workspace's own keys and members are refused every API call (403 <c>workspace.suspended</c>, worded in the
/// caller's language), so a workspace stopped for abuse cannot keep sending through its keys; see
/// <see cref="ActiveWorkspaceRequirement"/> for the rest of the rule.
/// </summary>
public sealed class SuspendedWorkspaceFilter(ContextScopes scopes) : IEndpointFilter
{
    public const string Code = "workspace.suspended";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var user = context.HttpContext.User;
        if (!user.IsPlatformApiCaller() && !user.IsSuperAdmin() && user.GetTenantId() is { } tenantId
            && await ActiveWorkspaceRequirement.IsSuspendedAsync(scopes, tenantId, context.HttpContext.RequestAborted))
            throw new Domain.Common.DomainException(Code, "This workspace is suspended.");
        return await next(context);
    }
}
