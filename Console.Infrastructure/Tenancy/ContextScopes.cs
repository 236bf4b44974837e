using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Data;

namespace OperatorConsole.Infrastructure.Tenancy;

/// <summary>A DI scope whose tenant context is fixed, with its own DbContext.</summary>
public sealed class WorkScope(AsyncServiceScope scope) : IAsyncDisposable
{
    public IServiceProvider Services => scope.ServiceProvider;
    public AppDbContext Db { get; } = scope.ServiceProvider.GetRequiredService<AppDbContext>();
    public TenantContext Tenant => Db.Tenant;

    public ValueTask DisposeAsync() => scope.DisposeAsync();
}

/// <summary>
/// The only way into a context other than the signed-in user's: a tenant scope for background work, the system
/// platform scope for routing (webhooks, API-key lookup), and the audited super-admin platform scope.
/// </summary>
public sealed class ContextScopes(IServiceScopeFactory scopes, TimeProvider clock, ILogger<ContextScopes> log)
{
    public WorkScope ForTenant(Guid tenantId, Guid? userId = null)
    {
        var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().UseTenant(tenantId, userId);
        return new WorkScope(scope);
    }

    /// <summary>A signed-in user before a tenant is chosen: only their own memberships are visible.</summary>
    public WorkScope ForUser(Guid userId)
    {
        var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().UseUser(userId);
        return new WorkScope(scope);
    }

    /// <summary>For the system's own cross-tenant lookups (never on behalf of a person).</summary>
    public WorkScope ForSystem(string purpose)
    {
        var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().UsePlatform(null);
        log.LogDebug("System platform scope entered for {Purpose}", purpose);
        return new WorkScope(scope);
    }

    /// <summary>A super admin's cross-tenant work. Every entry is written to the audit trail with its reason.</summary>
    public async Task<WorkScope> ForSuperAdminAsync(Guid userId, string actor, string reason, CancellationToken ct = default)
    {
        var work = new WorkScope(scopes.CreateAsyncScope());
        work.Tenant.UsePlatform(userId);
        work.Db.AuditEntries.Add(AuditEntry.Create(null, userId, actor, "platform.enter", null, null, reason, clock.GetUtcNow()));
        await work.Db.SaveChangesAsync(ct);
        return work;
    }
}
