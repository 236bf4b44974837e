using System.Globalization;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Data.Configurations;
using OperatorConsole.Infrastructure.Inbox;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Pipeline;

public enum LeadSort { Score, Name, Created, LastActivity }

/// <summary>
/// What the leads screens, the export and the API filter on. It round-trips through a URL query string
/// (<see cref="ToQuery"/> / <see cref="FromQuery"/>), so a filtered view can be shared and the back button restores it.
/// </summary>
public sealed record LeadFilter
{
    public Guid? StageId { get; init; }
    public LeadTemperature? Temperature { get; init; }
    public Guid? ChannelId { get; init; }

    /// <summary>A member's id; <see cref="Guid.Empty"/> means "no owner".</summary>
    public Guid? OwnerId { get; init; }
    public DateOnly? CreatedFrom { get; init; }
    public DateOnly? CreatedTo { get; init; }
    public DateOnly? ActiveFrom { get; init; }

    /// <summary>"key = value" on the contact's custom fields (exact value, key as stored).</summary>
    public string? Field { get; init; }
    public string? Q { get; init; }
    public string? Tag { get; init; }
    public LeadSort Sort { get; init; } = LeadSort.Score;
    public bool Descending { get; init; } = true;

    public (string Key, string Value)? FieldPair =>
        Field?.Split('=', 2) is [var k, var v] && k.Trim().Length > 0 ? (k.Trim(), v.Trim()) : null;

    public IReadOnlyDictionary<string, string?> ToQuery() => new Dictionary<string, string?>
    {
        ["stage"] = StageId?.ToString(),
        ["temperature"] = Temperature?.ToString().ToLowerInvariant(),
        ["channel"] = ChannelId?.ToString(),
        ["owner"] = OwnerId is { } o ? (o == Guid.Empty ? "none" : o.ToString()) : null,
        ["created_from"] = CreatedFrom?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["created_to"] = CreatedTo?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["active_from"] = ActiveFrom?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["field"] = string.IsNullOrWhiteSpace(Field) ? null : Field,
        ["q"] = string.IsNullOrWhiteSpace(Q) ? null : Q,
        ["tag"] = string.IsNullOrWhiteSpace(Tag) ? null : Tag,
        ["sort"] = Sort == LeadSort.Score ? null : Sort.ToString().ToLowerInvariant(),
        ["dir"] = Descending ? null : "asc",
    };

    /// <summary>Unknown or malformed values are ignored (an old shared link still opens).</summary>
    public static LeadFilter FromQuery(Func<string, string?> get) => new()
    {
        StageId = Guid.TryParse(get("stage"), out var s) ? s : null,
        Temperature = Enum.TryParse<LeadTemperature>(get("temperature"), true, out var t) && Enum.IsDefined(t) ? t : null,
        ChannelId = Guid.TryParse(get("channel"), out var c) ? c : null,
        OwnerId = get("owner") == "none" ? Guid.Empty : Guid.TryParse(get("owner"), out var o) ? o : null,
        CreatedFrom = Date(get("created_from")),
        CreatedTo = Date(get("created_to")),
        ActiveFrom = Date(get("active_from")),
        Field = NullIfBlank(get("field")),
        Q = NullIfBlank(get("q")),
        Tag = NullIfBlank(get("tag")),
        Sort = Enum.TryParse<LeadSort>(get("sort"), true, out var sort) && Enum.IsDefined(sort) ? sort : LeadSort.Score,
        Descending = get("dir") != "asc",
    };

    private static DateOnly? Date(string? value) =>
        DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>One lead as the grid, the kanban and the export show it.</summary>
public sealed record LeadRow(Guid Id, string? Name, string? PhoneE164, string? Email, Guid StageId, int Score, LeadTemperature Temperature,
    Guid? OwnerMemberId, IReadOnlyList<string> Tags, DateTimeOffset CreatedAt, DateTimeOffset? LastSeenAt, decimal Value,
    IReadOnlyDictionary<string, string> Fields);

/// <param name="Total">How many leads match, counted up to <see cref="LeadQueries.CountCap"/> (<c>Total &gt; CountCap</c> means "more").</param>
public sealed record LeadPage(IReadOnlyList<LeadRow> Items, int Total);

/// <summary>
/// A kanban column: the first leads of one stage, how many there are (up to <see cref="LeadQueries.BoardCountCap"/> + 1:
/// more means "1,000+") and what all of them are worth (the sum of their open and paid payment links, exact at any size).
/// </summary>
public sealed record KanbanColumn(Guid StageId, IReadOnlyList<LeadRow> Items, int Count, decimal Value);

/// <summary>
/// Reads for the leads grid, the kanban and the CSV export: server-side filtering, sorting and paging over the tenant's
/// contacts, limited to the channels the member works (a member restricted to some channels sees only leads that wrote
/// on one of them). A lead's value is the sum of its open and paid payment links, kept on the contact by a trigger
/// (<see cref="ContactConfiguration.LeadValue"/>).
/// </summary>
public sealed class LeadQueries(ContextScopes scopes)
{
    public const int MaxPageSize = 200;

    /// <summary>
    /// Counts stop here: "10,000+" reads the same to a person as 87,412, and counting a whole 100,000-lead workspace under
    /// row-level security on every page turn and live refresh is the slowest part of the screen (docs/benchmarks.md).
    /// </summary>
    public const int CountCap = 10_000;

    /// <summary>
    /// A kanban column counts to here ("1,000+"): a board shows every column at once and refreshes live, and past a
    /// thousand cards nobody scrolls a column to its end; its value stays exact (docs/benchmarks.md).
    /// </summary>
    public const int BoardCountCap = 1_000;

    /// <summary>Tags and custom-field keys and values up to this length are in contact_filter_values (migration LeadQueryIndexes).</summary>
    public const int FilterValueMax = 200;

    public async Task<LeadPage> PageAsync(Guid tenantId, Guid? memberId, LeadFilter filter, int skip, int take, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        await using var read = await work.Db.Database.BeginValuePlannedReadAsync(ct);
        var leads = await FilteredAsync(work.Db, tenantId, memberId, filter, ct);
        var total = await leads.Take(CountCap + 1).CountAsync(ct);
        var rows = await Project(Sorted(leads, filter).Skip(Math.Max(0, skip)).Take(Math.Clamp(take, 1, MaxPageSize))).ToListAsync(ct);
        return new LeadPage(rows, total);
    }

    /// <summary>Every stage's column at once (first <paramref name="take"/> leads each, best score first).</summary>
    public async Task<IReadOnlyList<KanbanColumn>> BoardAsync(Guid tenantId, Guid? memberId, LeadFilter filter, int take, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        await using var read = await work.Db.Database.BeginValuePlannedReadAsync(ct);
        var db = work.Db;
        var leads = await FilteredAsync(db, tenantId, memberId, filter with { StageId = null }, ct);
        var stages = await db.PipelineStages.AsNoTracking().OrderBy(s => s.Position).Select(s => s.Id).ToListAsync(ct);
        var shown = filter.StageId is { } only ? stages.Where(s => s == only).ToList() : stages;
        // Every column's count (capped: an index range read of at most BoardCountCap + 1 entries on the (tenant, stage,
        // score) index) and its exact value, in one statement. The value adds up only the leads that have one (from the
        // partial index of valued leads when there is no filter), so it stays exact however many leads a column holds.
        // Per column, not one grouped read: with a filter such as a channel a grouped read hashes the filter's whole set.
        var totals = shown.Count == 0 ? [] : await db.PipelineStages.Where(s => shown.Contains(s.Id))
            .Select(s => new
            {
                s.Id,
                Count = leads.Where(c => c.StageId == s.Id).Take(BoardCountCap + 1).Count(),
                Value = leads.Where(c => c.StageId == s.Id && EF.Property<decimal>(c, ContactConfiguration.LeadValue) != 0m)
                    .Sum(c => EF.Property<decimal>(c, ContactConfiguration.LeadValue)),
            })
            .ToDictionaryAsync(x => x.Id, x => (x.Count, x.Value), ct);
        // Then each non-empty column's first cards, one index range read per stage (EF Core writes a single statement for
        // this as a ROW_NUMBER over the whole workspace, not a lateral join: measured at 150-270 ms for 100,000 leads).
        var size = Math.Clamp(take, 1, MaxPageSize);
        var columns = new List<KanbanColumn>();
        foreach (var stage in stages)
        {
            var (count, value) = totals.GetValueOrDefault(stage);
            var items = count == 0 ? [] : await Project(leads.Where(c => c.StageId == stage)
                .OrderByDescending(c => c.Score).ThenByDescending(c => c.Id).Take(size)).ToListAsync(ct);
            columns.Add(new KanbanColumn(stage, items, count, value));
        }
        return columns;
    }

    /// <summary>More of one kanban column (infinite scroll).</summary>
    public async Task<IReadOnlyList<LeadRow>> ColumnAsync(Guid tenantId, Guid? memberId, LeadFilter filter, Guid stageId, int skip, int take,
        CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        await using var read = await work.Db.Database.BeginValuePlannedReadAsync(ct);
        var leads = (await FilteredAsync(work.Db, tenantId, memberId, filter with { StageId = null }, ct)).Where(c => c.StageId == stageId)
            .OrderByDescending(c => c.Score).ThenByDescending(c => c.Id).Skip(Math.Max(0, skip)).Take(Math.Clamp(take, 1, MaxPageSize));
        return await Project(leads).ToListAsync(ct);
    }

    /// <summary>The whole filtered view, streamed in the grid's order (CSV export); <paramref name="ids"/> narrows it to a selection.</summary>
    public async IAsyncEnumerable<LeadRow> StreamAsync(Guid tenantId, Guid? memberId, LeadFilter filter, IReadOnlyCollection<Guid>? ids,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        var leads = await FilteredAsync(work.Db, tenantId, memberId, filter, ct);
        if (ids is not null) leads = leads.Where(c => ids.Contains(c.Id));
        await foreach (var row in Project(Sorted(leads, filter)).AsAsyncEnumerable().WithCancellation(ct)) yield return row;
    }

    private static async Task<IQueryable<Contact>> FilteredAsync(AppDbContext db, Guid tenantId, Guid? memberId, LeadFilter f, CancellationToken ct)
    {
        var leads = db.Contacts.AsNoTracking();
        if (memberId is { } member)
        {
            // Read first, so a member who works every channel (the usual case) adds nothing to the query: an "OR EXISTS"
            // per row would keep PostgreSQL from walking the sort index.
            var channels = await db.ChannelAccess.Where(a => a.MemberId == member).Select(a => a.ChannelId).ToListAsync(ct);
            if (channels.Count > 0)
                leads = leads.Where(c => db.ContactIdentities.Any(i => i.ContactId == c.Id && channels.Contains(i.ChannelId)));
        }
        if (f.StageId is { } stage) leads = leads.Where(c => c.StageId == stage);
        if (f.Temperature is { } t)
        {
            // The temperature follows the score, so its score range lets the (…, score, id) indexes serve the filter.
            var (low, high) = Contact.ScoreRange(t);
            leads = leads.Where(c => c.Temperature == t && c.Score >= low && c.Score <= high);
        }
        if (f.ChannelId is { } channel) leads = leads.Where(c => db.ContactIdentities.Any(i => i.ContactId == c.Id && i.ChannelId == channel));
        if (f.OwnerId is { } owner) leads = owner == Guid.Empty ? leads.Where(c => c.OwnerMemberId == null) : leads.Where(c => c.OwnerMemberId == owner);
        if (f.CreatedFrom is { } from) { var at = Utc(from); leads = leads.Where(c => c.CreatedAt >= at); }
        if (f.CreatedTo is { } to) { var at = Utc(to.AddDays(1)); leads = leads.Where(c => c.CreatedAt < at); }
        if (f.ActiveFrom is { } active) { var at = Utc(active); leads = leads.Where(c => c.LastSeenAt >= at); }
        // Tags and custom fields: the table contact_filter_values (kept by a trigger on contacts: every tag and custom-field
        // pair up to FilterValueMax characters) gives the matching leads from its index. Array and jsonb containment are not
        // leakproof, so under row-level security no index could serve them: they remain only for longer values.
        if (f.Tag is { } tag)
        {
            if (tag.Length <= FilterValueMax)
            {
                var tagged = db.Database.SqlQuery<Guid>($"""
                    SELECT contact_id AS "Value" FROM contact_filter_values
                    WHERE tenant_id = {tenantId} AND kind = 't' AND key = '' AND value = ({tag} COLLATE "C")
                    """);
                leads = leads.Where(c => tagged.Contains(c.Id));
            }
            else leads = leads.Where(c => EF.Property<string[]>(c, "_tags").Contains(tag));
        }
        if (f.FieldPair is var (key, value))
        {
            IQueryable<Guid> matching;
            if (key.Length <= FilterValueMax && value.Length <= FilterValueMax)
            {
                matching = db.Database.SqlQuery<Guid>($"""
                    SELECT contact_id AS "Value" FROM contact_filter_values
                    WHERE tenant_id = {tenantId} AND kind = 'f' AND key = ({key} COLLATE "C") AND value = ({value} COLLATE "C")
                    """);
            }
            else
            {
                // jsonb containment: {"key":"value"} @> — exact match on one custom field.
                var json = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { [key] = value });
                matching = db.Database.SqlQuery<Guid>($"""SELECT id AS "Value" FROM contacts WHERE fields @> {json}::jsonb""");
            }
            leads = leads.Where(c => matching.Contains(c.Id));
        }
        foreach (var word in InboxQueries.SearchWords(f.Q))
        {
            var matching = db.Database.SqlQuery<Guid>($"""
                SELECT k.contact_id AS "Value" FROM contact_terms k
                WHERE k.tenant_id = {tenantId} AND k.term >= (lower(unaccent({word})) COLLATE "C")
                  AND k.term < ((lower(unaccent({word})) || chr(1114111)) COLLATE "C")
                """);
            leads = leads.Where(c => matching.Contains(c.Id));
        }
        return leads;
    }

    private static DateTimeOffset Utc(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    private static IQueryable<Contact> Sorted(IQueryable<Contact> leads, LeadFilter f) => (f.Sort, f.Descending) switch
    {
        (LeadSort.Name, false) => leads.OrderBy(c => c.Name).ThenBy(c => c.Id),
        (LeadSort.Name, true) => leads.OrderByDescending(c => c.Name).ThenByDescending(c => c.Id),
        (LeadSort.Created, false) => leads.OrderBy(c => c.CreatedAt).ThenBy(c => c.Id),
        (LeadSort.Created, true) => leads.OrderByDescending(c => c.CreatedAt).ThenByDescending(c => c.Id),
        (LeadSort.LastActivity, false) => leads.OrderBy(c => c.LastSeenAt).ThenBy(c => c.Id),
        (LeadSort.LastActivity, true) => leads.OrderByDescending(c => c.LastSeenAt).ThenByDescending(c => c.Id),
        (_, false) => leads.OrderBy(c => c.Score).ThenBy(c => c.Id),
        _ => leads.OrderByDescending(c => c.Score).ThenByDescending(c => c.Id),
    };

    private static IQueryable<LeadRow> Project(IQueryable<Contact> leads) =>
        leads.Select(c => new LeadRow(c.Id, c.Name, c.PhoneE164, c.Email, c.StageId, c.Score, c.Temperature, c.OwnerMemberId,
            EF.Property<string[]>(c, "_tags"), c.CreatedAt, c.LastSeenAt, EF.Property<decimal>(c, ContactConfiguration.LeadValue),
            EF.Property<Dictionary<string, string>>(c, "_fields")));
}
