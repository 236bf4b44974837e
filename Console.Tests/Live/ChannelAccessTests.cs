using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Infrastructure.Inbox;
using OperatorConsole.Infrastructure.Media;
using OperatorConsole.Tests.Support;
using HubException = Microsoft.AspNetCore.SignalR.HubException;

namespace OperatorConsole.Tests.Live;

/// <summary>
/// Per-channel access (issue 13, item 10): a member limited to some channels gets "not found" for every other channel's
/// conversation — by URL, in commands, at /media and in the hub — and no live events for it.
/// </summary>
public class ChannelAccessTests(SocketAppFactory app) : IClassFixture<SocketAppFactory>
{
    private sealed record Setup(Guid TenantId, Channel Theirs, Channel Mine, Conversation Hidden, Conversation Visible, string HiddenCustomer,
        string VisibleCustomer, TenantMember Member, string MemberEmail, string OwnerEmail);

    /// <summary>A tenant with two WhatsApp numbers and a member who works only the second one.</summary>
    private async Task<Setup> SetupAsync()
    {
        var tenant = await app.TenantAsync();
        var theirs = await app.ChannelAsync(tenant.Id);
        var mine = await app.ChannelAsync(tenant.Id);
        var hiddenCustomer = "521" + Random.Shared.NextInt64(1000000000, 9999999999);
        var visibleCustomer = "521" + Random.Shared.NextInt64(1000000000, 9999999999);
        var hidden = await app.ConversationAsync(tenant.Id, "Paciente Reservada", channel: theirs, customerId: hiddenCustomer);
        var visible = await app.ConversationAsync(tenant.Id, "Paciente Visible", channel: mine, customerId: visibleCustomer);
        var member = await app.MemberAsync(tenant.Id);
        // Granted as an owner does it: through the team's member endpoint (PATCH channelIds), not a row written by hand.
        var key = await app.Services.GetRequiredService<OperatorConsole.Infrastructure.Security.ApiKeyService>().IssueAsync(tenant.Id, "team",
            ["read", "write", "admin"], null, new OperatorConsole.Infrastructure.Security.ApiKeyActor("test"));
        using (var api = new HttpClient { BaseAddress = app.ServerAddress })
        {
            api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key.Key);
            var granted = await System.Net.Http.Json.HttpClientJsonExtensions.PatchAsJsonAsync(api,
                $"/api/v1/tenants/{tenant.Id}/members/{member.UserId}", new { channelIds = new[] { mine.Id } });
            Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        }
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var email = (await users.FindByIdAsync(member.UserId.ToString()))!.Email!;
        return new Setup(tenant.Id, theirs, mine, hidden, visible, hiddenCustomer, visibleCustomer, member, email, $"{tenant.Slug}@owner.test");
    }

    private static InboxActor Actor(Setup s) => new(s.TenantId, s.Member.Id, TenantRole.Agent, "Rita");

    private HttpClient Browser(System.Net.CookieContainer cookies) =>
        new(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = app.ServerAddress };

    [Fact]
    public async Task The_inbox_list_shows_only_conversations_of_the_channels_set_on_the_member()
    {
        var s = await SetupAsync();
        var page = await app.Services.GetRequiredService<InboxQueries>().ListAsync(s.TenantId, s.Member.Id, new InboxFilter());
        Assert.Equal([s.Visible.Id], page.Items.Select(r => r.Id));
        var owners = await app.Services.GetRequiredService<InboxQueries>().ListAsync(s.TenantId, null, new InboxFilter());
        Assert.Contains(owners.Items, r => r.Id == s.Hidden.Id);
    }

    [Fact]
    public async Task Opening_another_channels_conversation_by_URL_renders_not_found_and_nothing_of_it()
    {
        var s = await SetupAsync();
        using var browser = Browser(await app.SignInAsync(s.MemberEmail));

        var hidden = await browser.GetStringAsync($"/inbox/{s.Hidden.Id}");
        Assert.Contains("Conversación no encontrada", hidden);
        Assert.DoesNotContain("Paciente Reservada", hidden);

        var visible = await browser.GetStringAsync($"/inbox/{s.Visible.Id}");
        Assert.DoesNotContain("Conversación no encontrada", visible);
        Assert.Contains("Paciente Visible", visible);
    }

    [Fact]
    public async Task Every_command_on_another_channels_conversation_is_not_found_and_changes_nothing()
    {
        var s = await SetupAsync();
        var commands = app.Services.GetRequiredService<ConversationCommands>();
        var me = Actor(s);
        var refused = new Func<Task>[]
        {
            () => commands.TakeOverAsync(me, s.Hidden.Id),
            () => commands.HandBackAsync(me, s.Hidden.Id),
            () => commands.ResolveAsync(me, s.Hidden.Id),
            () => commands.SnoozeAsync(me, s.Hidden.Id, DateTimeOffset.UtcNow.AddHours(1)),
            () => commands.AssignAsync(me, s.Hidden.Id, s.Member.Id),
            () => commands.SetContactBotAsync(me, s.Hidden.Id, false),
            () => commands.SendTextAsync(me, s.Hidden.Id, "hola"),
            () => commands.AddNoteAsync(me, s.Hidden.Id, "nota"),
            () => commands.SendMediaAsync(me, s.Hidden.Id, new MemoryStream([0xFF, 0xD8, 0xFF, 0xE0]), "x.jpg", "image/jpeg", null,
                new Uri("http://localhost/")),
        };
        foreach (var command in refused)
        {
            var error = await Assert.ThrowsAsync<DomainException>(command);
            Assert.Equal("conversation.not_found", error.Code);
        }
        Assert.Null(await app.Services.GetRequiredService<InboxQueries>().GetAsync(s.TenantId, s.Hidden.Id, s.Member.Id));

        await using (var work = app.Scopes.ForTenant(s.TenantId))
        {
            var untouched = await work.Db.Conversations.AsNoTracking().SingleAsync(c => c.Id == s.Hidden.Id);
            Assert.Equal((ConversationStatus.Open, ConversationOwner.Bot, (Guid?)null), (untouched.Status, untouched.Owner, untouched.AssignedMemberId));
            Assert.Equal(1, await work.Db.Messages.CountAsync(m => m.ConversationId == s.Hidden.Id));
            Assert.False(await work.Db.ConversationEvents.AnyAsync(e => e.ConversationId == s.Hidden.Id));
        }
        // The channel they work is unaffected.
        await commands.TakeOverAsync(me, s.Visible.Id);
        Assert.NotNull(await app.Services.GetRequiredService<InboxQueries>().GetAsync(s.TenantId, s.Visible.Id, s.Member.Id));
    }

    [Fact]
    public async Task A_contacts_history_lists_only_conversations_of_channels_the_member_works()
    {
        var s = await SetupAsync();
        Guid elsewhere;
        await using (var work = app.Scopes.ForTenant(s.TenantId))
        {
            // The same customer also wrote on the number the member does not work.
            var other = Conversation.Start(s.TenantId, s.Theirs.Id, s.Visible.ContactId, DateTimeOffset.UtcNow);
            work.Db.Conversations.Add(other);
            await work.Db.SaveChangesAsync();
            elsewhere = other.Id;
        }
        var queries = app.Services.GetRequiredService<InboxQueries>();
        var forMember = await queries.ContactConversationsAsync(s.TenantId, s.Visible.ContactId, s.Member.Id);
        Assert.Equal([s.Visible.Id], forMember.Select(c => c.Id));
        var forOwner = await queries.ContactConversationsAsync(s.TenantId, s.Visible.ContactId);
        Assert.Contains(forOwner, c => c.Id == elsewhere);
    }

    [Fact]
    public async Task Media_of_another_channels_conversation_is_404_for_the_member_but_served_to_the_owner()
    {
        var s = await SetupAsync();
        Guid messageId;
        await using (var work = app.Scopes.ForTenant(s.TenantId))
        {
            var message = await work.Db.Messages.SingleAsync(m => m.ConversationId == s.Hidden.Id);
            message.MediaStored("image/jpeg");
            await work.Db.SaveChangesAsync();
            messageId = message.Id;
        }
        await app.Services.GetRequiredService<IMediaStore>().SaveAsync(s.TenantId, messageId,
            new MemoryStream([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0]), default);

        using var member = Browser(await app.SignInAsync(s.MemberEmail));
        Assert.Equal(HttpStatusCode.NotFound, (await member.GetAsync($"/media/{messageId}")).StatusCode);
        using var owner = Browser(await app.SignInAsync(s.OwnerEmail));
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync($"/media/{messageId}")).StatusCode);
    }

    [Fact]
    public async Task The_hub_refuses_joining_another_channels_conversation_and_never_sends_its_changes()
    {
        var s = await SetupAsync();
        await using var hub = await app.HubAsync(await app.SignInAsync(s.MemberEmail));
        await using var ownerHub = await app.HubAsync(await app.SignInAsync(s.OwnerEmail));

        var refused = await Assert.ThrowsAsync<HubException>(() => hub.Connection.InvokeAsync("JoinConversation", s.Hidden.Id));
        Assert.Contains("not found", refused.Message);
        await hub.Connection.InvokeAsync("JoinConversation", s.Visible.Id);

        var webhooks = new WebhookClient(app.CreateClient());
        Assert.Equal(HttpStatusCode.OK, (await webhooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(s.Theirs.ExternalId, s.HiddenCustomer,
            "wamid." + Guid.NewGuid().ToString("N"), "Mensaje reservado", DateTimeOffset.UtcNow))).StatusCode);
        // The owner works every channel and hears it: the change was published.
        await Eventually.TrueAsync(() => Task.FromResult(ownerHub.Saw("inboxChanged", s.Hidden.Id)), "the owner to hear the hidden channel's change");
        // The member's own channel's change comes after it on the same node: once they have it, the other would have arrived too.
        Assert.Equal(HttpStatusCode.OK, (await webhooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(s.Mine.ExternalId, s.VisibleCustomer,
            "wamid." + Guid.NewGuid().ToString("N"), "Mensaje visible", DateTimeOffset.UtcNow))).StatusCode);
        await Eventually.TrueAsync(() => Task.FromResult(hub.Saw("inboxChanged", s.Visible.Id) && hub.Saw("conversationChanged", s.Visible.Id)),
            "the member to hear their own channel's change");

        Assert.DoesNotContain(hub.Received, r => r.Change.ConversationId == s.Hidden.Id);
    }
}
