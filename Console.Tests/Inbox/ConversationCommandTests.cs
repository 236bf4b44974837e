using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Inbox;
using OperatorConsole.Infrastructure.Live;
using OperatorConsole.Infrastructure.Tenants;
using OperatorConsole.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace OperatorConsole.Tests.Inbox;

/// <summary>Operator actions against real PostgreSQL: rules, events, live publishing, races and tenant isolation.</summary>
public class ConversationCommandTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    private async Task<Conversation> ReloadAsync(Guid tenantId, Guid id)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        return await work.Db.Conversations.AsNoTracking().SingleAsync(c => c.Id == id);
    }

    private async Task<List<ConversationEvent>> EventsAsync(Guid tenantId, Guid id)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        return await work.Db.ConversationEvents.AsNoTracking().Where(e => e.ConversationId == id).OrderBy(e => e.CreatedAt).ToListAsync();
    }

    private async Task ScheduleTurnAsync(Guid tenantId, Guid id)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        var c = await work.Db.Conversations.SingleAsync(x => x.Id == id);
        c.ScheduleAgentTurn(DateTimeOffset.UtcNow.AddSeconds(30));
        await work.Db.SaveChangesAsync();
    }

    [Fact]
    public async Task Taking_over_silences_the_bot_cancels_the_pending_turn_and_says_who()
    {
        var tenant = await app.TenantAsync();
        var agent = await app.MemberAsync(tenant.Id, "Ana Agente");
        var conversation = await app.ConversationAsync(tenant.Id, "Cliente", "Hola");
        await ScheduleTurnAsync(tenant.Id, conversation.Id);
        var changes = new List<ConversationChanged>();
        using var _ = app.Services.GetRequiredService<ConversationNotifier>().Subscribe(tenant.Id, c => { lock (changes) changes.Add(c); return Task.CompletedTask; });

        await app.Commands().TakeOverAsync(agent, conversation.Id);

        var after = await ReloadAsync(tenant.Id, conversation.Id);
        Assert.Equal((ConversationOwner.Human, agent.MemberId), (after.Owner, after.AssignedMemberId));
        Assert.Null(after.AgentDueAt);
        var taken = Assert.Single(await EventsAsync(tenant.Id, conversation.Id), e => e.Type == ConversationEventType.TakenOver);
        Assert.Equal(agent.MemberId, taken.ActorMemberId);
        Assert.True(System.Text.Json.JsonDocument.Parse(taken.Data!).RootElement.GetProperty("cancelledTurn").GetBoolean());
        await Eventually.TrueAsync(() => Task.FromResult(changes.Any(c => c.ConversationId == conversation.Id)), "the change to be published");

        await app.Commands().HandBackAsync(agent, conversation.Id);
        after = await ReloadAsync(tenant.Id, conversation.Id);
        Assert.Equal((ConversationOwner.Bot, (Guid?)null), (after.Owner, after.AssignedMemberId));
        Assert.Contains(await EventsAsync(tenant.Id, conversation.Id), e => e.Type == ConversationEventType.HandedBack);
    }

    [Fact]
    public async Task Two_agents_taking_the_same_conversation_at_once_the_second_is_told_instead_of_overwriting()
    {
        var tenant = await app.TenantAsync();
        var ana = await app.MemberAsync(tenant.Id, "Ana");
        var beto = await app.MemberAsync(tenant.Id, "Beto");
        var conversation = await app.ConversationAsync(tenant.Id, "Cliente", "Hola");
        // Both screens show the same version of the conversation.
        var seen = (await app.Queries().GetAsync(tenant.Id, conversation.Id))!.Version;

        await app.Commands().TakeOverAsync(ana, conversation.Id, seen);
        var conflict = await Assert.ThrowsAsync<ConflictException>(() => app.Commands().AssignAsync(beto, conversation.Id, beto.MemberId!.Value, seen));

        Assert.Equal(ConversationCommands.ConflictCode, conflict.Code);
        Assert.Equal(ana.MemberId, (await ReloadAsync(tenant.Id, conversation.Id)).AssignedMemberId);
        Assert.DoesNotContain(await EventsAsync(tenant.Id, conversation.Id), e => e.Type == ConversationEventType.Assigned);
    }

    [Fact]
    public async Task Racing_saves_without_a_version_still_lose_cleanly_not_with_a_500()
    {
        var tenant = await app.TenantAsync();
        var agents = new List<InboxActor>();
        for (var i = 0; i < 6; i++) agents.Add(await app.MemberAsync(tenant.Id, $"Agente {i}"));
        var conversation = await app.ConversationAsync(tenant.Id, "Cliente", "Hola");

        var results = await Task.WhenAll(agents.Select(async a =>
        {
            try
            {
                await app.Commands().TakeOverAsync(a, conversation.Id);
                return "ok";
            }
            catch (ConflictException)
            {
                return "conflict";
            }
        }));

        Assert.Contains("ok", results);
        var after = await ReloadAsync(tenant.Id, conversation.Id);
        var winners = (await EventsAsync(tenant.Id, conversation.Id)).Where(e => e.Type == ConversationEventType.TakenOver).ToList();
        // Every success is recorded and the last recorded one owns it: no silent overwrite.
        Assert.Equal(results.Count(r => r == "ok"), winners.Count);
        Assert.Equal(winners[^1].ActorMemberId, after.AssignedMemberId);
    }

    [Fact]
    public async Task Assigning_to_someone_outside_the_workspace_is_refused()
    {
        var tenant = await app.TenantAsync();
        var other = await app.TenantAsync();
        var stranger = await app.MemberAsync(other.Id, "Extraño");
        var owner = await app.OwnerAsync(tenant.Id);
        var conversation = await app.ConversationAsync(tenant.Id, "Cliente", "Hola");

        var refused = await Assert.ThrowsAsync<DomainException>(() => app.Commands().AssignAsync(owner, conversation.Id, stranger.MemberId!.Value));
        Assert.Equal("member.not_found", refused.Code);
        Assert.Equal(ConversationOwner.Bot, (await ReloadAsync(tenant.Id, conversation.Id)).Owner);
    }

    [Fact]
    public async Task Another_tenants_conversation_cannot_be_read_or_changed()
    {
        var a = await app.TenantAsync();
        var b = await app.TenantAsync();
        var conversation = await app.ConversationAsync(a.Id, "Cliente de A", "secreto");
        var intruder = await app.OwnerAsync(b.Id);

        Assert.Null(await app.Queries().GetAsync(b.Id, conversation.Id));
        Assert.Empty((await app.Queries().TimelineAsync(b.Id, conversation.Id)).Messages);
        var refused = await Assert.ThrowsAsync<DomainException>(() => app.Commands().TakeOverAsync(intruder, conversation.Id));
        Assert.Equal("conversation.not_found", refused.Code);
        Assert.Equal(ConversationOwner.Bot, (await ReloadAsync(a.Id, conversation.Id)).Owner);
    }

    [Fact]
    public async Task Resolve_snooze_and_reopen_each_leave_an_event()
    {
        var tenant = await app.TenantAsync();
        var agent = await app.MemberAsync(tenant.Id, "Ana");
        var conversation = await app.ConversationAsync(tenant.Id, "Cliente", "Hola");

        await app.Commands().SnoozeAsync(agent, conversation.Id, DateTimeOffset.UtcNow.AddHours(2));
        Assert.Equal(ConversationStatus.Snoozed, (await ReloadAsync(tenant.Id, conversation.Id)).Status);
        await app.Commands().ResolveAsync(agent, conversation.Id);
        Assert.Equal(ConversationStatus.Resolved, (await ReloadAsync(tenant.Id, conversation.Id)).Status);
        await Assert.ThrowsAsync<DomainException>(() => app.Commands().TakeOverAsync(agent, conversation.Id));
        await app.Commands().ReopenAsync(agent, conversation.Id);
        Assert.Equal(ConversationStatus.Open, (await ReloadAsync(tenant.Id, conversation.Id)).Status);

        var types = (await EventsAsync(tenant.Id, conversation.Id)).Select(e => e.Type).ToList();
        Assert.Equal([ConversationEventType.Snoozed, ConversationEventType.Resolved, ConversationEventType.Reopened], types);
    }

    [Fact]
    public async Task Resolving_twice_leaves_one_event_and_handing_back_a_resolved_conversation_is_refused()
    {
        var tenant = await app.TenantAsync();
        var agent = await app.MemberAsync(tenant.Id, "Ana");
        var conversation = await app.ConversationAsync(tenant.Id, "Cliente", "Hola");

        await app.Commands().TakeOverAsync(agent, conversation.Id);
        await app.Commands().ResolveAsync(agent, conversation.Id);
        var resolvedAt = (await ReloadAsync(tenant.Id, conversation.Id)).ResolvedAt;
        await app.Commands().ResolveAsync(agent, conversation.Id);
        var refused = await Assert.ThrowsAsync<DomainException>(() => app.Commands().HandBackAsync(agent, conversation.Id));

        Assert.Equal(Conversation.ResolvedHandBackCode, refused.Code);
        var after = await ReloadAsync(tenant.Id, conversation.Id);
        Assert.Equal((ConversationStatus.Resolved, resolvedAt, ConversationOwner.Human), (after.Status, after.ResolvedAt, after.Owner));
        var types = (await EventsAsync(tenant.Id, conversation.Id)).Select(e => e.Type).ToList();
        Assert.Equal([ConversationEventType.TakenOver, ConversationEventType.Resolved], types);
    }

    [Fact]
    public async Task The_contact_bot_switch_holds_in_every_conversation_with_that_contact()
    {
        var tenant = await app.TenantAsync();
        var agent = await app.MemberAsync(tenant.Id, "Ana");
        var conversation = await app.ConversationAsync(tenant.Id, "Cliente", "Hola");

        await app.Commands().SetContactBotAsync(agent, conversation.Id, false);

        await using var work = app.Scopes.ForTenant(tenant.Id);
        var contact = await work.Db.Contacts.AsNoTracking().SingleAsync(c => c.Id == conversation.ContactId);
        Assert.False(contact.BotEnabled);
        var row = await app.Queries().GetAsync(tenant.Id, conversation.Id);
        Assert.False(row!.ContactBotEnabled);
        Assert.Contains(await EventsAsync(tenant.Id, conversation.Id), e => e.Type == ConversationEventType.BotPaused);
    }

    [Fact]
    public async Task Only_owners_and_admins_switch_the_bot_for_a_channel_or_the_workspace()
    {
        var tenant = await app.TenantAsync();
        var agent = await app.MemberAsync(tenant.Id, "Ana");
        var admin = await app.MemberAsync(tenant.Id, "Adi", TenantRole.Admin);
        var channel = await app.ChannelAsync(tenant.Id);

        await Assert.ThrowsAsync<InboxForbiddenException>(() => app.Commands().SetTenantBotAsync(agent, false));
        await Assert.ThrowsAsync<InboxForbiddenException>(() => app.Commands().SetChannelBotAsync(agent, channel.Id, false));
        Assert.True((await app.Queries().TenantSettingsAsync(tenant.Id)).BotEnabled);

        await app.Commands().SetTenantBotAsync(admin, false);
        await app.Commands().SetChannelBotAsync(admin, channel.Id, false);
        Assert.False((await app.Queries().TenantSettingsAsync(tenant.Id)).BotEnabled);
        Assert.False((await app.Queries().ChannelsAsync(tenant.Id)).Single(c => c.Id == channel.Id).BotEnabled);
    }

    [Fact]
    public async Task A_note_that_mentions_a_teammate_notifies_only_them()
    {
        var tenant = await app.TenantAsync();
        var ana = await app.MemberAsync(tenant.Id, "Ana Agente");
        var beto = await app.MemberAsync(tenant.Id, "Beto Bravo");
        var carla = await app.MemberAsync(tenant.Id, "Carla");
        var conversation = await app.ConversationAsync(tenant.Id, "Cliente", "Hola");
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        var mentioned = await app.Commands().AddNoteAsync(ana, conversation.Id, "@Beto Bravo ¿le ofreces el descuento? Anabel no aplica");

        Assert.Equal([beto.MemberId!.Value], mentioned);
        var forBeto = await app.Queries().MentionsSinceAsync(tenant.Id, beto.MemberId!.Value, before);
        Assert.Equal(("Ana Agente", conversation.Id), (Assert.Single(forBeto).Author, forBeto[0].ConversationId));
        Assert.Empty(await app.Queries().MentionsSinceAsync(tenant.Id, carla.MemberId!.Value, before));
        var note = Assert.Single(await EventsAsync(tenant.Id, conversation.Id), e => e.Type == ConversationEventType.Note);
        Assert.StartsWith("@Beto Bravo", note.Text);
    }

    [Fact]
    public async Task An_agents_reply_to_a_bot_conversation_takes_it_over_and_is_queued_as_theirs()
    {
        var tenant = await app.TenantAsync();
        var agent = await app.MemberAsync(tenant.Id, "Ana");
        var conversation = await app.ConversationAsync(tenant.Id, "Cliente", "Hola");
        await ScheduleTurnAsync(tenant.Id, conversation.Id);

        var message = await app.Commands().SendTextAsync(agent, conversation.Id, "Hola, soy Ana");

        Assert.Equal((MessageSender.Agent, agent.MemberId), (message.Sender, message.SenderMemberId));
        var after = await ReloadAsync(tenant.Id, conversation.Id);
        Assert.Equal((ConversationOwner.Human, agent.MemberId, (DateTimeOffset?)null), (after.Owner, after.AssignedMemberId, after.AgentDueAt));
    }

    [Fact]
    public async Task An_attachment_is_stored_sent_as_media_and_fetchable_only_through_its_signed_link()
    {
        var tenant = await app.TenantAsync();
        var agent = await app.MemberAsync(tenant.Id, "Ana");
        var conversation = await app.ConversationAsync(tenant.Id, "Cliente", "¿Me manda la receta?");
        var bytes = "%PDF-1.4 receta"u8.ToArray();

        var message = await app.Commands().SendMediaAsync(agent, conversation.Id, new MemoryStream(bytes), "receta.pdf", "application/pdf", null,
            new Uri("http://localhost/"));

        Assert.Equal((MessageType.Document, "receta.pdf"), (message.Type, message.Body));
        var envelope = OperatorConsole.Infrastructure.Channels.Outbound.OutboundEnvelope.Parse(message.Payload)!;
        var link = new Uri(envelope.Content.Media!.Link!);
        var client = app.CreateClient(); // anonymous, like Meta fetching the link
        var fetched = await client.GetAsync(link.PathAndQuery);
        Assert.Equal(System.Net.HttpStatusCode.OK, fetched.StatusCode);
        Assert.Equal("application/pdf", fetched.Content.Headers.ContentType?.MediaType);
        Assert.Equal(bytes, await fetched.Content.ReadAsByteArrayAsync());
        var tampered = link.PathAndQuery[..^3] + "xyz";
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await client.GetAsync(tampered)).StatusCode);
    }

    [Fact]
    public async Task Canned_replies_are_per_tenant_and_a_shortcut_is_used_once()
    {
        var tenant = await app.TenantAsync();
        var other = await app.TenantAsync();
        var agent = await app.MemberAsync(tenant.Id, "Ana");
        var saved = await app.Commands().SaveCannedReplyAsync(agent, null, "/Horario", "Abrimos de 9 a 19 h.");
        Assert.Equal("horario", saved.Shortcut);

        var duplicate = await Assert.ThrowsAsync<ConflictException>(() => app.Commands().SaveCannedReplyAsync(agent, null, "horario", "otra"));
        Assert.Equal("canned.duplicate", duplicate.Code);
        await app.Commands().SaveCannedReplyAsync(await app.OwnerAsync(other.Id), null, "horario", "De otro negocio");

        var mine = await app.Commands().CannedRepliesAsync(tenant.Id);
        Assert.Equal("Abrimos de 9 a 19 h.", Assert.Single(mine).Text);
        await app.Commands().SaveCannedReplyAsync(agent, saved.Id, "horario", "Abrimos de 9 a 20 h.");
        Assert.Equal("Abrimos de 9 a 20 h.", Assert.Single(await app.Commands().CannedRepliesAsync(tenant.Id)).Text);
        await app.Commands().DeleteCannedReplyAsync(agent, saved.Id);
        Assert.Empty(await app.Commands().CannedRepliesAsync(tenant.Id));
        Assert.Single(await app.Commands().CannedRepliesAsync(other.Id));
    }
}
