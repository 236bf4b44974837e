using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Platform;

/// <summary>A position in a newest-first log: the next page starts strictly before it (keyset on created_at, id).</summary>
public sealed record LogCursor(DateTimeOffset At, Guid Id);

/// <summary>What the DevConsole shows: at least this severity, from this source, of this tenant, containing this text (all optional).</summary>
public sealed record EventFilter(Severity? MinSeverity = null, string? Source = null, Guid? TenantId = null, string? Text = null);

public sealed record EventRow(Guid Id, DateTimeOffset CreatedAt, Severity Severity, string Source, Guid? TenantId, string? TenantName,
    string Message, string? MessageKey, string[] MessageArgs, string? Details);

/// <summary>The platform audit log's filters (all optional); <paramref name="To"/> is exclusive.</summary>
public sealed record AuditFilter(Guid? TenantId = null, string? Actor = null, string? Action = null, DateTimeOffset? From = null,
    DateTimeOffset? To = null, string? Text = null);

public sealed record AuditRow(Guid Id, DateTimeOffset CreatedAt, Guid? TenantId, string? TenantName, string Actor, string Action,
    string? EntityType, string? EntityId, string? Details, string? Before, string? After);

public sealed record LogPage<T>(IReadOnlyList<T> Items, LogCursor? Next);

/// <summary>
/// The platform's two logs for super admins, across tenants: system events (the DevConsole) and the audit trail. Pages
/// are keyset-paged newest first, so page 40 costs what page 1 costs and a row written meanwhile never shifts a page.
/// Reads enter the platform context through the audited super-admin scope; the DevConsole's live tail (<see cref="NewerEventsAsync"/>)
/// polls inside a view that was audited when it opened, so it does not write an entry every few seconds.
/// </summary>
public sealed class PlatformLogs(ContextScopes scopes)
{
    public const int PageSize = 50;

    public async Task<LogPage<EventRow>> EventsAsync(PlatformActor actor, EventFilter filter, LogCursor? before, CancellationToken ct = default)
    {
        await using var work = await EnterAsync(actor, "command center: DevConsole", ct);
        var query = Events(work.Db, filter);
        if (before is { } c) query = query.Where(e => e.CreatedAt < c.At || (e.CreatedAt == c.At && e.Id.CompareTo(c.Id) < 0));
        var rows = await query.OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.Id).Take(PageSize + 1).ToListAsync(ct);
        return await PageAsync(work, rows, ct);
    }

    /// <summary>Events written after <paramref name="after"/> that match the filter, newest first (at most one page).</summary>
    public async Task<IReadOnlyList<EventRow>> NewerEventsAsync(EventFilter filter, LogCursor? after, CancellationToken ct = default)
    {
        await using var work = scopes.ForSystem("DevConsole live tail");
        var query = Events(work.Db, filter);
        if (after is { } c) query = query.Where(e => e.CreatedAt > c.At || (e.CreatedAt == c.At && e.Id.CompareTo(c.Id) > 0));
        var rows = await query.OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.Id).Take(PageSize).ToListAsync(ct);
        var names = await NamesAsync(work, rows.Select(r => r.TenantId), ct);
        return rows.Select(r => Row(r, names)).ToList();
    }

    public async Task<LogPage<AuditRow>> AuditAsync(PlatformActor actor, AuditFilter filter, LogCursor? before, CancellationToken ct = default)
    {
        await using var work = await EnterAsync(actor, "command center: audit log", ct);
        var query = work.Db.AuditEntries.AsNoTracking();
        if (filter.TenantId is { } tenant) query = query.Where(a => a.TenantId == tenant);
        if (Like(filter.Actor) is { } actorLike) query = query.Where(a => EF.Functions.ILike(a.Actor, actorLike));
        if (Like(filter.Action) is { } actionLike) query = query.Where(a => EF.Functions.ILike(a.Action, actionLike));
        if (filter.From is { } from) query = query.Where(a => a.CreatedAt >= from);
        if (filter.To is { } to) query = query.Where(a => a.CreatedAt < to);
        if (Like(filter.Text) is { } text)
            query = query.Where(a => EF.Functions.ILike(a.Action, text) || EF.Functions.ILike(a.Actor, text) || EF.Functions.ILike(a.Details ?? "", text)
                || EF.Functions.ILike(a.EntityId ?? "", text) || EF.Functions.ILike(a.EntityType ?? "", text)
                || EF.Functions.ILike(a.Before ?? "", text) || EF.Functions.ILike(a.After ?? "", text));
        if (before is { } c) query = query.Where(a => a.CreatedAt < c.At || (a.CreatedAt == c.At && a.Id.CompareTo(c.Id) < 0));
        var rows = await query.OrderByDescending(a => a.CreatedAt).ThenByDescending(a => a.Id).Take(PageSize + 1).ToListAsync(ct);
        var more = rows.Count > PageSize;
        if (more) rows.RemoveAt(PageSize);
        var names = await NamesAsync(work, rows.Select(r => r.TenantId), ct);
        return new LogPage<AuditRow>(rows.Select(a => new AuditRow(a.Id, a.CreatedAt, a.TenantId, a.TenantId is { } t ? names.GetValueOrDefault(t) : null,
            a.Actor, a.Action, a.EntityType, a.EntityId, a.Details, a.Before, a.After)).ToList(), more ? new LogCursor(rows[^1].CreatedAt, rows[^1].Id) : null);
    }

    /// <summary>Every tenant's id and name, for the filters' pickers.</summary>
    public async Task<IReadOnlyList<(Guid Id, string Name)>> TenantsAsync(CancellationToken ct = default)
    {
        await using var work = scopes.ForSystem("command center: tenant picker");
        return (await work.Db.Tenants.AsNoTracking().OrderBy(t => t.Name).Select(t => new { t.Id, t.Name }).ToListAsync(ct))
            .Select(t => (t.Id, t.Name)).ToList();
    }

    /// <summary>The sources events were written from, for the source picker.</summary>
    public async Task<IReadOnlyList<string>> SourcesAsync(CancellationToken ct = default)
    {
        await using var work = scopes.ForSystem("command center: event sources");
        return await work.Db.SystemEvents.AsNoTracking().Select(e => e.Source).Distinct().OrderBy(s => s).Take(200).ToListAsync(ct);
    }

    private static IQueryable<SystemEvent> Events(Data.AppDbContext db, EventFilter filter)
    {
        var query = db.SystemEvents.AsNoTracking();
        if (filter.MinSeverity is { } min)
        {
            var levels = Enum.GetValues<Severity>().Where(s => s >= min).ToList();
            query = query.Where(e => levels.Contains(e.Severity));
        }
        if (!string.IsNullOrWhiteSpace(filter.Source)) query = query.Where(e => e.Source == filter.Source);
        if (filter.TenantId is { } tenant) query = query.Where(e => e.TenantId == tenant);
        if (Like(filter.Text) is { } text)
            query = query.Where(e => EF.Functions.ILike(e.Message, text) || EF.Functions.ILike(e.Source, text) || EF.Functions.ILike(e.Details ?? "", text));
        return query;
    }

    private static async Task<LogPage<EventRow>> PageAsync(WorkScope work, List<SystemEvent> rows, CancellationToken ct)
    {
        var more = rows.Count > PageSize;
        if (more) rows.RemoveAt(PageSize);
        var names = await NamesAsync(work, rows.Select(r => r.TenantId), ct);
        return new LogPage<EventRow>(rows.Select(r => Row(r, names)).ToList(), more ? new LogCursor(rows[^1].CreatedAt, rows[^1].Id) : null);
    }

    private static EventRow Row(SystemEvent e, IReadOnlyDictionary<Guid, string> names) =>
        new(e.Id, e.CreatedAt, e.Severity, e.Source, e.TenantId, e.TenantId is { } t ? names.GetValueOrDefault(t) : null, e.Message, e.MessageKey,
            e.MessageArgs, e.Details);

    private static async Task<Dictionary<Guid, string>> NamesAsync(WorkScope work, IEnumerable<Guid?> tenantIds, CancellationToken ct)
    {
        var ids = tenantIds.Where(t => t is not null).Select(t => t!.Value).Distinct().ToList();
        return ids.Count == 0 ? [] : await work.Db.Tenants.AsNoTracking().Where(t => ids.Contains(t.Id)).ToDictionaryAsync(t => t.Id, t => t.Name, ct);
    }

    /// <summary>"%text%" with LIKE's wildcards in the text taken literally; null for no filter.</summary>
    private static string? Like(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : "%" + text.Trim().Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_") + "%";

    private async Task<WorkScope> EnterAsync(PlatformActor actor, string reason, CancellationToken ct) =>
        actor.UserId is { } user ? await scopes.ForSuperAdminAsync(user, actor.Name, reason, ct) : scopes.ForSystem(reason);
}
