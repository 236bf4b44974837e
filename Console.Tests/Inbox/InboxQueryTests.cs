using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Inbox;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Inbox;

/// <summary>The conversation list: tabs, ordering, filters, search and keyset paging, on real PostgreSQL.</summary>
public class InboxQueryTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    private async Task HandOffAsync(Guid tenantId, Guid id, HandoffPriority priority, DateTimeOffset at)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        var c = await work.Db.Conversations.SingleAsync(x => x.Id == id);
        c.HandOff(HandoffReason.UserRequested, priority, at);
        await work.Db.SaveChangesAsync();
    }

    [Fact]
    public async Task Needs_a_human_lists_handoffs_most_urgent_first_then_by_SLA()
    {
        var tenant = await app.TenantAsync();
        var channel = await app.ChannelAsync(tenant.Id);
        var now = DateTimeOffset.UtcNow;
        var normalEarly = await app.ConversationAsync(tenant.Id, "Normal temprano", channel: channel);
        var normalLate = await app.ConversationAsync(tenant.Id, "Normal tarde", channel: channel);
        var critical = await app.ConversationAsync(tenant.Id, "Crítico", channel: channel);
        var urgent = await app.ConversationAsync(tenant.Id, "Urgente", channel: channel);
        await app.ConversationAsync(tenant.Id, "Con el bot", channel: channel);
        await HandOffAsync(tenant.Id, normalLate.Id, HandoffPriority.Normal, now);
        await HandOffAsync(tenant.Id, normalEarly.Id, HandoffPriority.Normal, now.AddMinutes(-5));
        await HandOffAsync(tenant.Id, critical.Id, HandoffPriority.Critical, now);
        await HandOffAsync(tenant.Id, urgent.Id, HandoffPriority.Urgent, now);

        var page = await app.Queries().ListAsync(tenant.Id, null, new InboxFilter(InboxTab.NeedsHuman));

        Assert.Equal(["Crítico", "Urgente", "Normal temprano", "Normal tarde"], page.Items.Select(r => r.ContactName ?? ""));
        Assert.All(page.Items, r => Assert.NotNull(r.SlaDueAt));
        Assert.Equal(4, await app.Queries().CountNeedingHumanAsync(tenant.Id));
        // Paging through the same tab one at a time gives the same order, nothing twice.
        var names = new List<string>();
        string? cursor = null;
        do
        {
            var one = await app.Queries().ListAsync(tenant.Id, null, new InboxFilter(InboxTab.NeedsHuman), cursor, 1);
            names.AddRange(one.Items.Select(r => r.ContactName ?? ""));
            cursor = one.NextCursor;
        }
        while (cursor is not null);
        Assert.Equal(page.Items.Select(r => r.ContactName ?? ""), names);
    }

    [Fact]
    public async Task Keyset_pages_walk_every_conversation_newest_first_exactly_once()
    {
        var tenant = await app.TenantAsync();
        var channel = await app.ChannelAsync(tenant.Id);
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        var ids = new List<Guid>();
        // Some share a timestamp: the id breaks the tie so no row is skipped or repeated.
        for (var i = 0; i < 13; i++)
            ids.Add((await app.ConversationAsync(tenant.Id, $"Cliente {i}", channel: channel, lastInboundAt: start.AddMinutes(i / 2))).Id);

        var seen = new List<InboxRow>();
        string? cursor = null;
        do
        {
            var page = await app.Queries().ListAsync(tenant.Id, null, new InboxFilter(), cursor, 4);
            seen.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        Assert.Equal(ids.Order(), seen.Select(r => r.Id).Order());
        Assert.Equal(seen.OrderByDescending(r => r.LastMessageAt).ThenByDescending(r => r.Id).Select(r => r.Id), seen.Select(r => r.Id));
    }

    [Fact]
    public async Task Search_finds_conversations_by_contact_name_phone_and_message_text()
    {
        var tenant = await app.TenantAsync();
        var channel = await app.ChannelAsync(tenant.Id);
        var byName = await app.ConversationAsync(tenant.Id, "Rosalinda Quiñones", "hola", channel);
        var byText = await app.ConversationAsync(tenant.Id, "Pedro", "¿tienen ortodoncia_invisible al 50%?", channel);
        var byPhone = await app.ConversationAsync(tenant.Id, "Luis", "buenas", channel, customerId: "5215587654321");
        await app.ConversationAsync(tenant.Id, "Nadie", "nada que ver", channel);

        async Task<Guid[]> Search(string q) => (await app.Queries().ListAsync(tenant.Id, null, new InboxFilter(Search: q))).Items.Select(r => r.Id).ToArray();

        Assert.Equal([byName.Id], await Search("rosalinda"));
        Assert.Equal([byText.Id], await Search("ORTODONCIA_invis"));
        Assert.Equal([byText.Id], await Search("50%"));
        Assert.Equal([byPhone.Id], await Search("87654"));
        Assert.Empty(await Search("inexistente"));
        // Every word must match, each in the name, the phone or the messages, not necessarily the same one.
        Assert.Equal([byName.Id], await Search("hola quiñones"));
        Assert.Equal([byText.Id], await Search("pedro ortodoncia_invisible"));
        Assert.Equal([byPhone.Id], await Search("buenas 87654 luis"));
        Assert.Empty(await Search("luis ortodoncia"));
        Assert.Empty(await Search("rosalinda 87654"));
    }

    [Fact]
    public async Task A_search_never_finds_another_workspaces_conversations_by_one_word_or_several()
    {
        var mine = await app.TenantAsync();
        var other = await app.TenantAsync();
        var theirs = await app.ConversationAsync(other.Id, "Eufrasia Zapata", "quiero ortodoncia_lingual", customerId: "5215511223344");
        var own = await app.ConversationAsync(mine.Id, "Eufrasia Zapata", "hola");

        async Task<Guid[]> Search(Guid tenantId, string q) =>
            (await app.Queries().ListAsync(tenantId, null, new InboxFilter(Search: q))).Items.Select(r => r.Id).ToArray();

        // Words that only the other workspace has (a name with its message, a phone fragment with a word) find nothing here…
        Assert.Empty(await Search(mine.Id, "ortodoncia_lingual"));
        Assert.Empty(await Search(mine.Id, "eufrasia ortodoncia_lingual"));
        Assert.Empty(await Search(mine.Id, "11223344 zapata"));
        // …and a name both have finds only this workspace's conversation, in each.
        Assert.Equal([own.Id], await Search(mine.Id, "eufrasia zapata"));
        Assert.Equal([theirs.Id], await Search(other.Id, "eufrasia zapata"));
    }

    [Fact]
    public async Task Tabs_and_filters_narrow_the_list()
    {
        var tenant = await app.TenantAsync();
        var agent = await app.MemberAsync(tenant.Id, "Ana");
        var whatsapp = await app.ChannelAsync(tenant.Id);
        var messenger = await app.ChannelAsync(tenant.Id, OperatorConsole.Domain.Channels.ChannelKind.Messenger);
        var mine = await app.ConversationAsync(tenant.Id, "Mía", channel: whatsapp);
        var bot = await app.ConversationAsync(tenant.Id, "Del bot", channel: messenger);
        var resolved = await app.ConversationAsync(tenant.Id, "Resuelta", channel: whatsapp);
        await app.Commands().TakeOverAsync(agent, mine.Id);
        await app.Commands().ResolveAsync(agent, resolved.Id);
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            var contact = await work.Db.Contacts.SingleAsync(c => c.Id == bot.ContactId);
            contact.SetScore(90, null, DateTimeOffset.UtcNow);
            await work.Db.SaveChangesAsync();
        }

        async Task<string[]> Names(InboxFilter filter, Guid? member = null) =>
            (await app.Queries().ListAsync(tenant.Id, member ?? agent.MemberId, filter)).Items.Select(r => r.ContactName ?? "").Order().ToArray();

        Assert.Equal(["Mía"], await Names(new InboxFilter(InboxTab.Mine)));
        Assert.Equal(["Del bot"], await Names(new InboxFilter(InboxTab.Bot)));
        Assert.Equal(["Del bot"], await Names(new InboxFilter(InboxTab.Unassigned)));
        Assert.Equal(["Del bot", "Mía", "Resuelta"], await Names(new InboxFilter(InboxTab.All)));
        Assert.Equal(["Resuelta"], await Names(new InboxFilter(InboxTab.All, Status: ConversationStatus.Resolved)));
        Assert.Equal(["Mía", "Resuelta"], await Names(new InboxFilter(InboxTab.All, ChannelId: whatsapp.Id)));
        Assert.Equal(["Del bot"], await Names(new InboxFilter(InboxTab.All, Temperature: LeadTemperature.Hot)));
        Assert.Equal(["Mía"], await Names(new InboxFilter(InboxTab.All, Owner: ConversationOwner.Human)));
    }
}
