using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Data;

namespace OperatorConsole.Infrastructure.Channels.Inbound;

/// <summary>
/// Everything a batch of deliveries reads from the database (channels, messages already stored, contacts by identity,
/// their open conversations), loaded up front in five set-based queries instead of several queries per event. The
/// dictionaries are complete for the batch's keys: a key that is missing after <see cref="LoadAsync"/> is not in the
/// database, and every row the batch creates is added, so later events of the batch see earlier ones without a save.
/// </summary>
internal sealed class InboundLookups
{
    private readonly Dictionary<(ChannelKind, string), Channel> _channels = new();
    private readonly Dictionary<(Guid ChannelId, string ExternalId), Message> _messages = new();
    private readonly Dictionary<Guid, Message> _ours = new();
    private readonly Dictionary<(Guid ChannelId, IdentityKind Kind, string Value), Contact> _contactsByIdentity = new();
    private readonly Dictionary<(Guid ContactId, Guid ChannelId), Conversation> _openConversations = new();

    public static async Task<InboundLookups> LoadAsync(AppDbContext db, IReadOnlyCollection<InboundEvent> events, CancellationToken ct)
    {
        var lookups = new InboundLookups();
        if (events.Count == 0) return lookups;

        var channelIds = events.Select(e => e.ChannelExternalId).Distinct().ToList();
        // A disabled channel receives nothing: its deliveries wait as unroutable until it is enabled again.
        foreach (var channel in await db.Channels
                     .Where(c => channelIds.Contains(c.ExternalId) && c.Status != ChannelStatus.Disabled && c.Status != ChannelStatus.Disconnected)
                     .ToListAsync(ct))
            lookups._channels[(channel.Kind, channel.ExternalId)] = channel;
        if (lookups._channels.Count == 0) return lookups; // nobody connected these numbers: nothing else to read

        var routed = events.Where(e => lookups._channels.ContainsKey((e.Channel, e.ChannelExternalId))).ToList();
        var tenants = lookups._channels.Values.Select(c => c.TenantId).Distinct().ToList();
        var channels = lookups._channels.Values.Select(c => c.Id).ToList();

        var messageKeys = routed.Select(e => (Channel: lookups._channels[(e.Channel, e.ChannelExternalId)], Id: MessageKey(e)))
            .Where(k => k.Id is not null).Select(k => new MessageKeyRef(k.Channel.TenantId, k.Channel.Id, k.Id!)).Distinct().ToList();
        if (messageKeys.Count > 0)
        {
            foreach (var message in await MessagesWithIds(db, messageKeys).ToListAsync(ct))
                lookups._messages[(message.ChannelId, message.ExternalId!)] = message;
        }

        // Statuses and echoes that name our own send by id: that send may not have its channel id yet (a crash after the send).
        var ours = routed.Select(e => e switch { InboundStatus st => st.OurMessageId, InboundEcho echo => echo.OurMessageId, _ => null })
            .OfType<Guid>().Distinct().ToList();
        if (ours.Count > 0)
        {
            foreach (var message in await db.Messages
                         .Where(m => ours.Contains(m.Id) && tenants.Contains(m.TenantId) && channels.Contains(m.ChannelId)
                             && m.Direction == MessageDirection.Outbound)
                         .ToListAsync(ct))
                lookups._ours[message.Id] = message; // tracked: one instance with the same row found by channel id
        }

        var identities = routed.SelectMany(e => CustomerOf(e) is { } customer
                ? Identities(customer).Select(i => (Channel: lookups._channels[(e.Channel, e.ChannelExternalId)], i.Kind, i.Value))
                : [])
            .Select(i => new IdentityKeyRef(i.Channel.TenantId, i.Channel.Id, i.Kind, i.Value)).Distinct().ToList();
        if (identities.Count == 0) return lookups;
        var contactIds = await ContactsWithIdentities(db, identities).ToListAsync(ct);
        if (contactIds.Count == 0) return lookups;
        foreach (var contact in await db.Contacts.Include(c => c.Identities).Where(c => contactIds.Contains(c.Id)).ToListAsync(ct))
            lookups.Remember(contact);
        // By contact alone (the ids come from this batch's tenants): with the tenant in the predicate too, a planner
        // without fresh statistics walked a tenant-wide inbox index and filtered every open conversation.
        var open = await db.Conversations
            .Where(c => contactIds.Contains(c.ContactId) && c.Status != ConversationStatus.Resolved)
            .ToListAsync(ct);
        // The newest open conversation per contact and channel is the one that continues.
        foreach (var conversation in open.OrderBy(c => c.CreatedAt)) lookups.Remember(conversation);
        return lookups;
    }

    /// <summary>A message as a batch names it: its tenant and channel, and the channel's id for it.</summary>
    internal sealed record MessageKeyRef(Guid TenantId, Guid ChannelId, string ExternalId);

    /// <summary>A customer as a batch names them: their tenant and channel, and one of their identities there.</summary>
    internal sealed record IdentityKeyRef(Guid TenantId, Guid ChannelId, IdentityKind Kind, string Value);

    /// <summary>
    /// The stored messages with these ids: one probe of the unique (tenant, channel, external id) index per key. Not
    /// EF's Contains: on the nullable column it adds "OR (external_id IS NULL AND array_position(...))", and = ANY on
    /// each column costs tenants × channels × ids probes; either way PostgreSQL read all of messages for every batch
    /// (15–40 ms at 25,000–40,000 rows, growing with the table).
    /// </summary>
    internal static IQueryable<Message> MessagesWithIds(AppDbContext db, IReadOnlyList<MessageKeyRef> keys)
    {
        var tenants = keys.Select(k => k.TenantId).ToArray();
        var channels = keys.Select(k => k.ChannelId).ToArray();
        var ids = keys.Select(k => k.ExternalId).ToArray();
        return db.Messages.FromSql($"""
            SELECT m.*, m.xmin FROM unnest({tenants}, {channels}, {ids}) AS k(tenant_id, channel_id, external_id)
            JOIN messages m ON m.tenant_id = k.tenant_id AND m.channel_id = k.channel_id AND m.external_id = k.external_id
            """);
    }

    /// <summary>
    /// The contacts known by any of these identities: one probe of the unique (tenant, channel, kind, value) index per
    /// key. With only (tenant, channel) bound, all of a channel's customers were read and filtered by value; with each
    /// column's = ANY, the probes multiplied across the batch's tenants and channels.
    /// </summary>
    internal static IQueryable<Guid> ContactsWithIdentities(AppDbContext db, IReadOnlyList<IdentityKeyRef> keys)
    {
        var tenants = keys.Select(k => k.TenantId).ToArray();
        var channels = keys.Select(k => k.ChannelId).ToArray();
        var kinds = keys.Select(k => k.Kind.ToString()).ToArray();
        var values = keys.Select(k => k.Value).ToArray();
        return db.ContactIdentities.FromSql($"""
                SELECT i.* FROM unnest({tenants}, {channels}, {kinds}, {values}) AS k(tenant_id, channel_id, kind, value)
                JOIN contact_identities i ON i.tenant_id = k.tenant_id AND i.channel_id = k.channel_id AND i.kind = k.kind AND i.value = k.value
                """)
            .Select(i => i.ContactId).Distinct();
    }

    public Channel? Channel(ChannelKind kind, string externalId) => _channels.GetValueOrDefault((kind, externalId));

    public Message? Message(Channel channel, string externalId) => _messages.GetValueOrDefault((channel.Id, externalId));

    /// <summary>Our outbound message with this id on this channel (named by a status's callback data or an echo's metadata).</summary>
    public Message? Ours(Channel channel, Guid? id) =>
        id is { } key && _ours.TryGetValue(key, out var message) && message.ChannelId == channel.Id ? message : null;

    public void Remember(Message message)
    {
        if (message.ExternalId is { } externalId) _messages[(message.ChannelId, externalId)] = message;
    }

    public Contact? Contact(Channel channel, CustomerRef customer)
    {
        foreach (var (kind, value) in Identities(customer))
            if (_contactsByIdentity.TryGetValue((channel.Id, kind, value), out var contact)) return contact;
        return null;
    }

    /// <summary>Indexes the contact under each of its identities (call again after adding one).</summary>
    public void Remember(Contact contact)
    {
        foreach (var identity in contact.Identities) _contactsByIdentity[(identity.ChannelId, identity.Kind, identity.Value)] = contact;
    }

    public Conversation? OpenConversation(Contact contact, Channel channel) => _openConversations.GetValueOrDefault((contact.Id, channel.Id));

    public void Remember(Conversation conversation) => _openConversations[(conversation.ContactId, conversation.ChannelId)] = conversation;

    public static IEnumerable<(IdentityKind Kind, string Value)> Identities(CustomerRef customer)
    {
        yield return (customer.Kind, customer.Id);
        if (customer.AlsoKnownAs is { } alias) yield return (alias.Kind, alias.Id);
    }

    private static string? MessageKey(InboundEvent e) => e switch
    {
        InboundMessage m => m.ExternalId,
        InboundEcho echo => echo.ExternalId,
        InboundReaction r => r.ExternalId,
        InboundStatus s => s.MessageExternalId,
        InboundDeletion d => d.MessageExternalId,
        _ => null,
    };

    private static CustomerRef? CustomerOf(InboundEvent e) => e switch
    {
        InboundMessage m => m.Customer,
        InboundEcho echo => echo.Customer,
        InboundReaction r => r.Customer,
        InboundWatermark w => w.Customer,
        _ => null,
    };
}
