using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using OperatorConsole.Domain.Common;
using OperatorConsole.Infrastructure.Data;

namespace OperatorConsole.Infrastructure.Tenancy;

/// <summary>
/// Refuses to save a tenant-owned row for another tenant than the current one (unless in the platform context).
/// RLS's WITH CHECK enforces the same in the database; this gives a clear exception before the round trip.
/// </summary>
public sealed class TenantStampInterceptor : SaveChangesInterceptor
{
    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Check(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Check(eventData.Context);
        return ValueTask.FromResult(result);
    }

    private static void Check(DbContext? context)
    {
        if (context is not AppDbContext db || db.Tenant.IsPlatform) return;
        foreach (var entry in db.ChangeTracker.Entries<ITenantOwned>())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified or EntityState.Deleted)) continue;
            if (entry.Entity.TenantId != db.Tenant.TenantId)
                throw new TenantIsolationException(
                    $"Refusing to write {entry.Metadata.ClrType.Name} of another tenant from the current tenant context.");
        }
    }
}

public sealed class TenantIsolationException(string message) : InvalidOperationException(message);
