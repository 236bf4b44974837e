using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Inbox;

/// <summary>
/// What the inbox reads: the conversation list (tabs, filters, search, keyset pages), one conversation's timeline,
/// contacts, members and channels. Used by the Blazor inbox and the REST API alike; every read runs in the given
/// tenant's scope, so another tenant's id is simply not found.
/// </summary>
public sealed class InboxQueries(ContextScopes scopes)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    /// <summary>One page of the conversation list; pass the previous page's cursor for the next.</summary>
    public async Task<InboxPage> ListAsync(Guid tenantId, Guid? memberId, InboxFilter filter, string? cursor = null,
        int pageSize = DefaultPageSize, CancellationToken ct = default)
    {
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);
        await using var work = scopes.ForTenant(tenantId);
        var db = work.Db;
        var conversations = await SearchAsync(db, tenantId, db.Conversations.AsNoTracking(), SearchWords(filter.Search), ct);

        if (filter.Status is { } status) conversations = conversations.Where(c => c.Status == status);
        // Resolved work is history: the working tabs hide it unless asked for by status.
        else if (filter.Tab != InboxTab.All) conversations = conversations.Where(c => c.Status != ConversationStatus.Resolved);

        conversations = filter.Tab switch
        {
            InboxTab.Mine when memberId is { } me => conversations.Where(c => c.AssignedMemberId == me),
            InboxTab.Mine => conversations.Where(c => false),
            InboxTab.NeedsHuman => conversations.Where(c => c.Owner == ConversationOwner.Unassigned || c.SlaDueAt != null),
            InboxTab.Unassigned => conversations.Where(c => c.AssignedMemberId == null),
            InboxTab.Bot => conversations.Where(c => c.Owner == ConversationOwner.Bot),
            _ => conversations,
        };
        if (filter.Owner is { } owner) conversations = conversations.Where(c => c.Owner == owner);
        if (filter.ChannelId is { } channelId) conversations = conversations.Where(c => c.ChannelId == channelId);
        if (filter.LabelId is { } labelId)
        {
            var labelled = db.ConversationLabels.Where(l => l.LabelId == labelId).Select(l => l.ConversationId);
            conversations = conversations.Where(c => labelled.Contains(c.Id));
        }
        conversations = conversations.VisibleTo(db, memberId);
        if (filter.Temperature is { } temperature)
        {
            var contacts = db.Contacts.Where(k => k.Temperature == temperature).Select(k => k.Id);
            conversations = conversations.Where(c => contacts.Contains(c.ContactId));
        }
        List<InboxRow> rows;
        if (filter.Tab == InboxTab.NeedsHuman) return await WithDetailsAsync(db, await NeedingHumanAsync(db, conversations, cursor, pageSize, ct), ct);

        if (Cursor.Parse(cursor) is { } next)
        {
            var id = next.Id;
            if (next.A == Cursor.Null)
            {
                // Conversations without any message sort first (PostgreSQL puts nulls first when descending).
                conversations = conversations.Where(c => (c.LastMessageAt == null && c.Id < id) || c.LastMessageAt != null);
            }
            else
            {
                var at = new DateTimeOffset(next.A, TimeSpan.Zero);
                conversations = conversations.Where(c => c.LastMessageAt < at || (c.LastMessageAt == at && c.Id < id));
            }
        }
        rows = await Project(conversations.OrderByDescending(c => c.LastMessageAt).ThenByDescending(c => c.Id), db)
            .Take(pageSize + 1).ToListAsync(ct);
        return await WithDetailsAsync(db, Page(rows, pageSize, r => new Cursor(r.LastMessageAt?.UtcTicks ?? Cursor.Null, 0, r.Id)), ct);
    }

    /// <summary>A search word matching more conversations than this is "common" (see <see cref="SearchAsync"/>).</summary>
    private const int RareWordCap = 2_000;

    /// <summary>
    /// Every word of the search must start a word of the contact's name, a run of their phone's digits, or a word of one of
    /// the conversation's messages (accents and case ignored; word tables kept by triggers, read as prefix ranges on a
    /// <c>COLLATE "C"</c> btree, which row-level security lets PostgreSQL use). The first word with at most
    /// <see cref="RareWordCap"/> matches gives the candidates, each other word is checked on their terms alone, and the
    /// survivors are looked up by id and sorted (a phone fragment or a rare word never walks the whole list probing a set,
    /// nor hashes a common word's matches). Without a rare word, each word is two id sets PostgreSQL hashes once while the
    /// list walks its usual index (a common word fills a page within a few hundred rows).
    /// </summary>
    private static async Task<IQueryable<Conversation>> SearchAsync(AppDbContext db, Guid tenantId, IQueryable<Conversation> conversations,
        IReadOnlyList<string> words, CancellationToken ct)
    {
        if (words.Count == 0) return conversations;
        // Normalised once here rather than lower(unaccent(…)) in every statement.
        var terms = (await db.Database.SqlQuery<string>($"""
            SELECT lower(unaccent(w)) AS "Value" FROM unnest({words.ToArray()}) WITH ORDINALITY AS u(w, i) ORDER BY i
            """).ToListAsync(ct)).Where(t => t.Length > 0).Distinct().ToList();
        foreach (var term in terms)
        {
            var byConversation = await ByConversation(db, tenantId, term).Take(RareWordCap + 1).ToListAsync(ct);
            if (byConversation.Count > RareWordCap) continue;
            var byContact = await ByContact(db, tenantId, term).Take(RareWordCap + 1).ToListAsync(ct);
            if (byConversation.Count + byContact.Count > RareWordCap) continue;
            // A rare word: its few candidates, then each other word probed on just their terms (the (tenant, conversation,
            // term) and (tenant, contact, term) indexes), never the whole set of conversations a common word is in.
            var candidates = await conversations.Where(c => byConversation.Contains(c.Id) || byContact.Contains(c.ContactId))
                .Select(c => new { c.Id, c.ContactId }).ToListAsync(ct);
            foreach (var other in terms.Where(t => t != term))
            {
                if (candidates.Count == 0) break;
                var ids = candidates.Select(c => c.Id).ToArray();
                var contactIds = candidates.Select(c => c.ContactId).Distinct().ToArray();
                var inConversation = (await ByConversation(db, tenantId, other).Where(id => ids.Contains(id)).ToListAsync(ct)).ToHashSet();
                var ofContact = (await ByContact(db, tenantId, other).Where(id => contactIds.Contains(id)).ToListAsync(ct)).ToHashSet();
                candidates = candidates.Where(c => inConversation.Contains(c.Id) || ofContact.Contains(c.ContactId)).ToList();
            }
            var found = candidates.Select(c => c.Id).ToList();
            return conversations.Where(c => found.Contains(c.Id));
        }
        // Only common words: each is two id sets PostgreSQL hashes once while the list walks its usual index.
        foreach (var term in terms)
        {
            var byConversation = ByConversation(db, tenantId, term);
            var byContact = ByContact(db, tenantId, term);
            conversations = conversations.Where(c => byConversation.Contains(c.Id) || byContact.Contains(c.ContactId));
        }
        return conversations;
    }

    private static IQueryable<Guid> ByConversation(AppDbContext db, Guid tenantId, string term) => db.Database.SqlQuery<Guid>($"""
        SELECT conversation_id AS "Value" FROM conversation_terms
        WHERE tenant_id = {tenantId} AND term >= ({term} COLLATE "C") AND term < (({term} || chr(1114111)) COLLATE "C")
        """);

    private static IQueryable<Guid> ByContact(AppDbContext db, Guid tenantId, string term) => db.Database.SqlQuery<Guid>($"""
        SELECT contact_id AS "Value" FROM contact_terms
        WHERE tenant_id = {tenantId} AND term >= ({term} COLLATE "C") AND term < (({term} || chr(1114111)) COLLATE "C")
        """);

    /// <summary>
    /// Adds what the list shows besides the conversation row: its labels, and since when a waiting customer waits (the
    /// latest handoff). Two small queries for the page's ids rather than correlated subqueries in every list query.
    /// </summary>
    private static async Task<InboxPage> WithDetailsAsync(AppDbContext db, InboxPage page, CancellationToken ct)
    {
        if (page.Items.Count == 0) return page;
        var ids = page.Items.Select(r => r.Id).ToList();
        var labels = (await db.ConversationLabels.AsNoTracking().Where(l => ids.Contains(l.ConversationId))
                .Select(l => new { l.ConversationId, l.LabelId }).ToListAsync(ct))
            .ToLookup(l => l.ConversationId, l => l.LabelId);
        var waitingIds = page.Items.Where(r => r.SlaDueAt is not null).Select(r => r.Id).ToList();
        var waiting = waitingIds.Count == 0
            ? new Dictionary<Guid, DateTimeOffset>()
            : await db.ConversationEvents.AsNoTracking()
                .Where(e => waitingIds.Contains(e.ConversationId) && e.Type == ConversationEventType.HandedOff)
                .GroupBy(e => e.ConversationId).Select(g => new { g.Key, At = g.Max(e => e.CreatedAt) })
                .ToDictionaryAsync(g => g.Key, g => g.At, ct);
        return page with
        {
            Items = page.Items.Select(r => r with
            {
                LabelIds = labels[r.Id].ToList(),
                WaitingSince = r.SlaDueAt is null ? null : waiting.TryGetValue(r.Id, out var at) ? at : null,
            }).ToList(),
        };
    }

    /// <summary>
    /// Most urgent first, then the SLA that runs out soonest. One indexed range per priority, walked in order until the
    /// page is full, instead of sorting every waiting conversation by a computed rank. Waiting conversations without an
    /// SLA (reopened after a handoff) come last.
    /// </summary>
    private static async Task<InboxPage> NeedingHumanAsync(AppDbContext db, IQueryable<Conversation> conversations, string? cursor, int pageSize,
        CancellationToken ct)
    {
        var after = Cursor.Parse(cursor);
        var rows = new List<InboxRow>();
        for (var group = (int)(after?.A ?? 0); group <= 3 && rows.Count <= pageSize; group++)
        {
            var part = group switch
            {
                0 => conversations.Where(c => c.Priority == HandoffPriority.Critical && c.SlaDueAt != null),
                1 => conversations.Where(c => c.Priority == HandoffPriority.Urgent && c.SlaDueAt != null),
                2 => conversations.Where(c => (c.Priority == HandoffPriority.Normal || c.Priority == null) && c.SlaDueAt != null),
                _ => conversations.Where(c => c.SlaDueAt == null),
            };
            if (after is not null && group == after.A)
            {
                var (due, id) = (new DateTimeOffset(after.B, TimeSpan.Zero), after.Id);
                part = group == 3
                    ? part.Where(c => c.Id > id)
                    : part.Where(c => c.SlaDueAt > due || (c.SlaDueAt == due && c.Id > id));
            }
            part = group == 3 ? part.OrderBy(c => c.Id) : part.OrderBy(c => c.SlaDueAt).ThenBy(c => c.Id);
            rows.AddRange(await Project(part, db).Take(pageSize + 1 - rows.Count).ToListAsync(ct));
        }
        return Page(rows, pageSize, r => new Cursor(GroupOf(r), r.SlaDueAt?.UtcTicks ?? 0, r.Id));
    }

    private static long GroupOf(InboxRow r) => r.SlaDueAt is null ? 3 : r.Priority switch
    {
        HandoffPriority.Critical => 0,
        HandoffPriority.Urgent => 1,
        _ => 2,
    };

    /// <summary>The words of a search as the term tables hold them (split on anything but letters and digits), at most five.</summary>
    public static IReadOnlyList<string> SearchWords(string? search) => string.IsNullOrWhiteSpace(search)
        ? []
        : search.Split(search.Where(ch => !char.IsLetterOrDigit(ch)).Distinct().ToArray(), StringSplitOptions.RemoveEmptyEntries)
            .Select(w => w.Length > 40 ? w[..40] : w).Distinct().Take(5).ToList();

    /// <summary>How many conversations wait for a human (the tab badge and the browser tab's title).</summary>
    public async Task<int> CountNeedingHumanAsync(Guid tenantId, Guid? memberId = null, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await work.Db.Conversations.VisibleTo(work.Db, memberId).CountAsync(c => c.Status != ConversationStatus.Resolved
            && (c.Owner == ConversationOwner.Unassigned || c.SlaDueAt != null), ct);
    }

    public Task<InboxRow?> GetAsync(Guid tenantId, Guid conversationId, CancellationToken ct = default) =>
        GetAsync(tenantId, conversationId, null, ct);

    /// <summary>One conversation as <paramref name="memberId"/> may see it: null when its channel is not theirs.</summary>
    public async Task<InboxRow?> GetAsync(Guid tenantId, Guid conversationId, Guid? memberId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        var row = await Project(work.Db.Conversations.AsNoTracking().VisibleTo(work.Db, memberId).Where(c => c.Id == conversationId), work.Db)
            .SingleOrDefaultAsync(ct);
        return row is null ? null : (await WithDetailsAsync(work.Db, new InboxPage([row], null), ct)).Items[0];
    }

    /// <summary>The newest <paramref name="limit"/> messages (and the events between them) for the chat panel.</summary>
    public async Task<Timeline> TimelineAsync(Guid tenantId, Guid conversationId, int limit = 200, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        var db = work.Db;
        var newest = await ProjectMessages(db.Messages.AsNoTracking().Where(m => m.ConversationId == conversationId)
                .OrderByDescending(m => m.SentAt).ThenByDescending(m => m.Id))
            .Take(limit + 1).ToListAsync(ct);
        var hasOlder = newest.Count > limit;
        if (hasOlder) newest.RemoveAt(newest.Count - 1);
        newest.Reverse();
        var from = hasOlder && newest.Count > 0 ? newest[0].SentAt : DateTimeOffset.MinValue;
        var events = await db.ConversationEvents.AsNoTracking()
            .Where(e => e.ConversationId == conversationId && e.CreatedAt >= from)
            .OrderBy(e => e.CreatedAt).ThenBy(e => e.Id)
            .Select(e => new TimelineEvent(e.Id, e.Type, e.ActorMemberId, e.Text, e.Data, e.CreatedAt))
            .ToListAsync(ct);
        return new Timeline(newest, events, hasOlder);
    }

    /// <summary>Messages oldest→newest, one page at a time (REST API).</summary>
    public async Task<MessagePage> MessagesAsync(Guid tenantId, Guid conversationId, string? cursor, int pageSize = DefaultPageSize,
        CancellationToken ct = default)
    {
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);
        await using var work = scopes.ForTenant(tenantId);
        var messages = work.Db.Messages.AsNoTracking().Where(m => m.ConversationId == conversationId);
        if (Cursor.Parse(cursor) is { } after)
        {
            var (at, id) = (new DateTimeOffset(after.A, TimeSpan.Zero), after.Id);
            messages = messages.Where(m => m.SentAt > at || (m.SentAt == at && m.Id > id));
        }
        var rows = await ProjectMessages(messages.OrderBy(m => m.SentAt).ThenBy(m => m.Id)).Take(pageSize + 1).ToListAsync(ct);
        var more = rows.Count > pageSize;
        if (more) rows.RemoveAt(rows.Count - 1);
        return new MessagePage(rows, more ? new Cursor(rows[^1].SentAt.UtcTicks, 0, rows[^1].Id).Encode() : null);
    }

    public async Task<bool> ConversationExistsAsync(Guid tenantId, Guid conversationId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await work.Db.Conversations.AnyAsync(c => c.Id == conversationId, ct);
    }

    public async Task<IReadOnlyList<InboxMember>> MembersAsync(Guid tenantId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await (from m in work.Db.TenantMembers
                      join u in work.Db.Users on m.UserId equals u.Id
                      where m.TenantId == tenantId
                      orderby u.DisplayName
                      select new InboxMember(m.Id, u.Id, u.DisplayName == "" ? u.Email ?? "" : u.DisplayName, m.Role))
            .ToListAsync(ct);
    }

    public async Task<IReadOnlyList<InboxChannel>> ChannelsAsync(Guid tenantId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await work.Db.Channels.AsNoTracking().OrderBy(c => c.CreatedAt)
            .Select(c => new InboxChannel(c.Id, c.Kind, c.DisplayName, c.BotEnabled)).ToListAsync(ct);
    }

    /// <summary>The tenant's bot switch and time zone (date separators are drawn in the business's time zone).</summary>
    public async Task<(bool BotEnabled, string TimeZone, string Name)> TenantSettingsAsync(Guid tenantId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        var tenant = await work.Db.Tenants.AsNoTracking().Where(t => t.Id == tenantId)
            .Select(t => new { t.BotEnabled, t.TimeZone, t.Name }).SingleAsync(ct);
        return (tenant.BotEnabled, tenant.TimeZone, tenant.Name);
    }

    /// <summary>Notes that mention the member, written after <paramref name="since"/> by someone else (the mention badge).</summary>
    public async Task<IReadOnlyList<(Guid ConversationId, string Author, DateTimeOffset At)>> MentionsSinceAsync(Guid tenantId, Guid memberId,
        DateTimeOffset since, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        var containment = $"{{\"mentions\":[\"{memberId}\"]}}";
        var notes = await work.Db.ConversationEvents.AsNoTracking()
            .Where(e => (e.Type == ConversationEventType.Note || e.Type == ConversationEventType.Reminder) && e.CreatedAt > since && e.ActorMemberId != memberId
                && EF.Functions.JsonContains(e.Data!, containment))
            .OrderBy(e => e.CreatedAt).Take(20)
            .Select(e => new { e.ConversationId, e.Data, e.CreatedAt }).ToListAsync(ct);
        return notes.Select(n => (n.ConversationId, AuthorOf(n.Data), n.CreatedAt)).ToList();
    }

    private static string AuthorOf(string? data)
    {
        try
        {
            return data is null ? "" : System.Text.Json.JsonDocument.Parse(data).RootElement.TryGetProperty("actor", out var a) ? a.GetString() ?? "" : "";
        }
        catch (System.Text.Json.JsonException)
        {
            return "";
        }
    }

    public async Task<ContactRow?> ContactAsync(Guid tenantId, Guid contactId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        var contact = await work.Db.Contacts.AsNoTracking().SingleOrDefaultAsync(c => c.Id == contactId, ct);
        if (contact is null) return null;
        var stage = await work.Db.PipelineStages.Where(s => s.Id == contact.StageId).Select(s => s.Name).SingleOrDefaultAsync(ct);
        return ToRow(contact, stage ?? "");
    }

    /// <summary>Leads, highest score first (REST API and the contact panel).</summary>
    public async Task<ContactPage> ContactsAsync(Guid tenantId, Guid? stage, LeadTemperature? temperature, string? search, string? cursor,
        int pageSize = DefaultPageSize, CancellationToken ct = default)
    {
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);
        await using var work = scopes.ForTenant(tenantId);
        var contacts = work.Db.Contacts.AsNoTracking();
        if (stage is { } s) contacts = contacts.Where(c => c.StageId == s);
        if (temperature is { } t) contacts = contacts.Where(c => c.Temperature == t);
        foreach (var word in SearchWords(search))
        {
            var matching = work.Db.Database.SqlQuery<Guid>($"""
                SELECT k.contact_id AS "Value" FROM contact_terms k
                WHERE k.tenant_id = {tenantId} AND k.term >= (lower(unaccent({word})) COLLATE "C")
                  AND k.term < ((lower(unaccent({word})) || chr(1114111)) COLLATE "C")
                """);
            contacts = contacts.Where(c => matching.Contains(c.Id));
        }
        if (Cursor.Parse(cursor) is { } after)
        {
            var (score, id) = ((int)after.A, after.Id);
            contacts = contacts.Where(c => c.Score < score || (c.Score == score && c.Id < id));
        }
        var rows = await contacts.OrderByDescending(c => c.Score).ThenByDescending(c => c.Id).Take(pageSize + 1).ToListAsync(ct);
        var more = rows.Count > pageSize;
        if (more) rows.RemoveAt(rows.Count - 1);
        var stages = await work.Db.PipelineStages.AsNoTracking().ToDictionaryAsync(x => x.Id, x => x.Name, ct);
        return new ContactPage(rows.Select(c => ToRow(c, stages.GetValueOrDefault(c.StageId, ""))).ToList(), more ? new Cursor(rows[^1].Score, 0, rows[^1].Id).Encode() : null);
    }

    /// <summary>The contact's other conversations, newest first (contact panel).</summary>
    /// <summary>The contact's conversations the member may see (their previews are conversation content too).</summary>
    public async Task<IReadOnlyList<PastConversation>> ContactConversationsAsync(Guid tenantId, Guid contactId, Guid? memberId = null,
        CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await work.Db.Conversations.AsNoTracking().VisibleTo(work.Db, memberId).Where(c => c.ContactId == contactId)
            .OrderByDescending(c => c.CreatedAt).Take(20)
            .Select(c => new PastConversation(c.Id, c.Status, c.CreatedAt, c.LastMessageAt, c.LastMessagePreview))
            .ToListAsync(ct);
    }

    public static ContactRow ToRow(Contact c, string stageName) => new(c.Id, c.Name, c.PhoneE164, c.Email, c.Company, c.StageId, stageName,
        c.Score, c.Temperature, c.BotEnabled, c.Summary, c.Fields, c.CreatedAt, c.LastSeenAt)
    {
        OwnerMemberId = c.OwnerMemberId,
        Tags = c.Tags,
        OptedOutAt = c.OptedOutAt,
    };

    private static IQueryable<InboxRow> Project(IQueryable<Conversation> conversations, AppDbContext db) =>
        from c in conversations
        join k in db.Contacts on c.ContactId equals k.Id
        select new InboxRow(c.Id, c.ContactId, k.Name, k.PhoneE164, c.ChannelId, c.Status, c.Owner, c.AssignedMemberId, c.HandoffReason,
            c.Priority, c.SlaDueAt, c.CustomerWindowExpiresAt, c.SnoozedUntil, c.UnreadCount, c.LastMessageAt, c.LastMessagePreview,
            k.Score, k.Temperature, k.StageId, k.BotEnabled, c.AgentDueAt != null, c.CreatedAt, EF.Property<uint>(c, "Version"));

    private static IQueryable<TimelineMessage> ProjectMessages(IQueryable<Message> messages) =>
        messages.Select(m => new TimelineMessage(m.Id, m.Direction, m.Sender, m.SenderMemberId, m.Type, m.Body, m.Payload, m.ExternalId,
            m.ReplyToExternalId, m.Status, m.ErrorCode, m.ErrorText, m.SentAt, m.CreatedAt, m.MediaState, m.MediaContentType, m.DeletedAt, m.MediaText));

    private static InboxPage Page(List<InboxRow> rows, int pageSize, Func<InboxRow, Cursor> cursorOf)
    {
        var more = rows.Count > pageSize;
        if (more) rows.RemoveAt(rows.Count - 1);
        return new InboxPage(rows, more ? cursorOf(rows[^1]).Encode() : null);
    }

    /// <summary>
    /// Keyset position: two sort values and the id of the last row seen. Opaque to callers (base64url); a cursor
    /// that does not parse is treated as "from the start" rather than an error.
    /// </summary>
    private sealed record Cursor(long A, long B, Guid Id)
    {
        public const long Null = long.MinValue;

        public string Encode() => Convert.ToBase64String(Encoding.UTF8.GetBytes(
                string.Create(CultureInfo.InvariantCulture, $"{A}.{B}.{Id:N}")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

        public static Cursor? Parse(string? cursor)
        {
            if (string.IsNullOrWhiteSpace(cursor)) return null;
            try
            {
                var base64 = cursor.Replace('-', '+').Replace('_', '/');
                base64 = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
                var parts = Encoding.UTF8.GetString(Convert.FromBase64String(base64)).Split('.');
                return parts.Length == 3
                    && long.TryParse(parts[0], CultureInfo.InvariantCulture, out var a)
                    && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var b)
                    && Guid.TryParseExact(parts[2], "N", out var id)
                    ? new Cursor(a, b, id)
                    : null;
            }
            catch (FormatException)
            {
                return null;
            }
        }
    }
}
