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

/// <summary>
/// Reads a before → after pair of JSON snapshots as the fields that changed ("role: Agent → Admin"); a creation lists its
/// fields with nothing before, a removal with nothing after.
/// </summary>
public static class AuditDiff
{
    public static IReadOnlyList<(string Field, string? Before, string? After)> Changes(string? before, string? after)
    {
        var old = Fields(before);
        var now = Fields(after);
        if (old is null && now is null) return [];
        var keys = (old?.Keys.AsEnumerable() ?? []).Concat(now?.Keys.AsEnumerable() ?? []).Distinct();
        return keys.Select(k => (k, Get(old, k), Get(now, k))).Where(c => c.Item2 != c.Item3).ToList();
    }

    private static string? Get(Dictionary<string, string>? fields, string key) => fields is not null && fields.TryGetValue(key, out var v) ? v : null;

    private static Dictionary<string, string>? Fields(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return null;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object) return new() { ["value"] = doc.RootElement.ToString() };
            return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind switch
            {
                System.Text.Json.JsonValueKind.Array => string.Join(", ", p.Value.EnumerateArray().Select(e => e.ToString())),
                System.Text.Json.JsonValueKind.Null => "",
                _ => p.Value.ToString(),
            });
        }
        catch (System.Text.Json.JsonException)
        {
            return new() { ["value"] = json };
        }
    }
}
