using OperatorConsole.Domain.Tenants;

namespace OperatorConsole.Infrastructure.Tenancy;

/// <summary>
/// Whose data this unit of work may touch. Scoped: one per request, circuit or background job scope.
/// EF query filters read it on every query, and every opened connection copies it into PostgreSQL settings
/// that the row-level-security policies check, so a forgotten filter or a raw SQL query still cannot cross tenants.
/// </summary>
public sealed class TenantContext
{
    public Guid? TenantId { get; private set; }
    public Guid? UserId { get; private set; }
    public TenantRole? Role { get; private set; }

    /// <summary>Platform context: sees every tenant. Entered only through <see cref="PlatformAccess"/> (audited) or by system jobs.</summary>
    public bool IsPlatform { get; private set; }

    public bool HasTenant => TenantId is not null;

    public TenantContext UseTenant(Guid tenantId, Guid? userId = null, TenantRole? role = null)
    {
        TenantId = tenantId;
        UserId = userId;
        Role = role;
        IsPlatform = false;
        return this;
    }

    /// <summary>A signed-in user with no tenant chosen yet: may read only their own memberships.</summary>
    public TenantContext UseUser(Guid userId)
    {
        TenantId = null;
        UserId = userId;
        Role = null;
        IsPlatform = false;
        return this;
    }

    internal TenantContext UsePlatform(Guid? userId)
    {
        TenantId = null;
        UserId = userId;
        Role = null;
        IsPlatform = true;
        return this;
    }

    public Guid RequireTenant() =>
        TenantId ?? throw new InvalidOperationException("This operation needs a tenant context.");
}
