using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Team;

/// <summary>Filters of the audit log: a date range (inclusive start, exclusive end), the actor and free text on the action and target.</summary>
public sealed record AuditFilter(DateTimeOffset? From = null, DateTimeOffset? To = null, string? Actor = null, string? Text = null);

public sealed record AuditRow(DateTimeOffset At, string Actor, string Action, string? Target, string? Before, string? After);

/// <summary>A workspace's audit log, newest first, read in the tenant's own context (RLS keeps other tenants' rows out).</summary>
public sealed class AuditLog(ContextScopes scopes)
{
    public const int MaxPage = 500;

    public async Task<(IReadOnlyList<AuditRow> Items, int Total)> PageAsync(Guid tenantId, AuditFilter filter, int skip, int take,
        CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        var query = Query(work, tenantId, filter);
        var total = await query.CountAsync(ct);
        var rows = await query.Skip(Math.Max(0, skip)).Take(Math.Clamp(take, 1, MaxPage)).ToListAsync(ct);
        return (rows.Select(ToRow).ToList(), total);
    }

    /// <summary>Every matching entry, streamed (the CSV export never holds the whole log in memory).</summary>
    public async IAsyncEnumerable<AuditRow> StreamAsync(Guid tenantId, AuditFilter filter, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        await foreach (var entry in Query(work, tenantId, filter).AsAsyncEnumerable().WithCancellation(ct))
            yield return ToRow(entry);
    }

    private static IQueryable<AuditEntry> Query(WorkScope work, Guid tenantId, AuditFilter filter)
    {
        var query = work.Db.AuditEntries.AsNoTracking().Where(e => e.TenantId == tenantId);
        if (filter.From is { } from) query = query.Where(e => e.CreatedAt >= from);
        if (filter.To is { } to) query = query.Where(e => e.CreatedAt < to);
        if (!string.IsNullOrWhiteSpace(filter.Actor))
        {
            var actor = $"%{Escape(filter.Actor.Trim())}%";
            query = query.Where(e => EF.Functions.ILike(e.Actor, actor));
        }
        if (!string.IsNullOrWhiteSpace(filter.Text))
        {
            var text = $"%{Escape(filter.Text.Trim())}%";
            query = query.Where(e => EF.Functions.ILike(e.Action, text) || EF.Functions.ILike(e.Actor, text)
                || (e.Details != null && EF.Functions.ILike(e.Details, text)) || (e.EntityType != null && EF.Functions.ILike(e.EntityType, text)));
        }
        return query.OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.Id);
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");

    private static AuditRow ToRow(AuditEntry e) =>
        new(e.CreatedAt, e.Actor, e.Action, e.Details ?? (e.EntityType is null ? null : $"{e.EntityType} {e.EntityId}"), e.Before, e.After);
}
