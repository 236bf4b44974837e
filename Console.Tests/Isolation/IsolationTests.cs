using System.Net;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.App.Live;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Tests.Live;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Isolation;

/// <summary>
/// "Never across tenants", generated from the app itself: every route and page of the route table that names a tenant's
/// object, and every public method of <see cref="ConsoleHub"/> (read by reflection), tried by tenant B's key (every scope)
/// and B's signed-in owner with tenant A's real ids — refused, with none of A's data in the answer, and A's own key and
/// owner reach the same objects (so a refusal is the rule, not a broken route). Also: a member limited to some channels
/// gets "not found" for another channel's conversation, contact and media. RLS on every table: <see cref="RowLevelSecurityTests"/>.
/// </summary>
public class IsolationTests(SocketAppFactory app) : IClassFixture<SocketAppFactory>
{
    private static bool Refused(int status, string? location) =>
        status is 401 or 403 or 404
        || (status is 302 && location?.Contains("/Account/Login", StringComparison.OrdinalIgnoreCase) == true);

    [Fact]
    public async Task Isolation_every_route_and_page_with_a_tenant_object_refuses_another_tenants_key_and_owner()
    {
        var (routes, unmapped) = IdRoutes.Read(app.Services);
        Assert.True(unmapped.Count == 0, string.Join("\n", unmapped.Select(p => $"add a seed for {p} (IdRoutes.Map) or say why it names no tenant's object")));
        // The table is read, not listed: the kinds of route it must hold are there.
        Assert.Contains(routes, r => r.Api && r.Kinds.Contains(Seed.Conversation) && r.Method == "POST");
        Assert.Contains(routes, r => r.Page && r.Pattern.StartsWith("/inbox/", StringComparison.Ordinal));
        Assert.Contains(routes, r => !r.Api && !r.Page);

        var a = await IsolationWorld.CreateAsync(app);
        var b = await app.TenantAsync();
        var bKey = await app.Services.GetRequiredService<ApiKeyService>().IssueAsync(b.Id, "intruder", ["read", "write", "admin"], null,
            new ApiKeyActor("test"));
        using var keyOfB = app.Client(bearer: bKey.Key);
        using var ownerOfB = app.Client(await app.SignInAsync($"{b.Slug}@owner.test"));

        var failures = new List<string>();
        var tried = 0;
        foreach (var route in routes)
        {
            // A's slug (the tenant check) and, where the route names objects, B's own slug with A's ids (the object check).
            var paths = new List<string> { route.PathFor(a, a.Tenant.Slug) };
            if (route.HasTenant && route.Kinds.Any(k => k != Seed.AgentVersion)) paths.Add(route.PathFor(a, b.Slug));
            foreach (var path in paths)
            foreach (var (who, client) in new[] { ("B's key", keyOfB), ("B's owner", ownerOfB) })
            {
                tried++;
                var (status, body, location) = await client.SendAsync(route.Method, path,
                    IdRoutes.Bodies.GetValueOrDefault($"{route.Method} {route.Pattern}", "{}"));
                if (body.Contains(a.Marker, StringComparison.OrdinalIgnoreCase))
                    failures.Add($"{who}: {route.Method} {path} answered {status} with tenant A's data: {Around(body, a.Marker)}");
                // A page may render its own "not found" (200) as long as nothing of A's is in it (checked above).
                else if (!Refused(status, location) && !(route.Page && status == 200))
                    failures.Add($"{who}: {route.Method} {path} answered {status}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {tried} requests were not refused:\n" + string.Join("\n", failures));

        // The same objects are there for their own tenant, untouched by everything above: its key reads every API route and
        // its owner opens every page (with A's data in it) and link.
        using var keyOfA = app.Client(bearer: a.Key);
        using var ownerOfA = app.Client(await app.SignInAsync(a.OwnerEmail));
        foreach (var route in routes.Where(r => r.Method == "GET" && r.Pattern != "/invite/{id:guid}.ics"))
        {
            var path = route.PathFor(a, a.Tenant.Slug);
            var (status, body, _) = await (route.Api ? keyOfA : ownerOfA).SendAsync("GET", path);
            if (status is < 200 or >= 400) failures.Add($"A itself: GET {path} answered {status}");
            else if (route.Page && !body.Contains(a.Marker, StringComparison.OrdinalIgnoreCase)) failures.Add($"A itself: {path} shows none of A's data");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Isolation_every_hub_method_with_another_tenants_ids_is_refused_and_joins_nothing()
    {
        var a = await IsolationWorld.CreateAsync(app);
        var b = await app.TenantAsync();
        var bCustomer = "521" + Random.Shared.NextInt64(1000000000, 9999999999);
        var bConversation = await app.ConversationAsync(b.Id, "Cliente de B", customerId: bCustomer);
        await using var intruder = await app.HubAsync(await app.SignInAsync($"{b.Slug}@owner.test"));
        await using var owner = await app.HubAsync(await app.SignInAsync(a.OwnerEmail));
        await owner.Connection.InvokeAsync(nameof(ConsoleHub.JoinConversation), Guid.Parse(a[Seed.Conversation]));

        var methods = HubMethods();
        Assert.Contains(methods, m => m.Name == nameof(ConsoleHub.JoinConversation));
        foreach (var method in methods)
        {
            var args = method.GetParameters().Select(p => p.ParameterType == typeof(Guid) ? Guid.Parse(a[Seed.Conversation])
                : p.ParameterType == typeof(string) ? a.Tenant.Slug : p.ParameterType.IsValueType ? Activator.CreateInstance(p.ParameterType) : null).ToArray();
            try
            {
                var answer = await intruder.Connection.InvokeCoreAsync(method.Name, typeof(object), args);
                Assert.DoesNotContain(a.Marker, JsonSerializer.Serialize(answer), StringComparison.OrdinalIgnoreCase);
            }
            catch (HubException refused)
            {
                Assert.DoesNotContain(a.Marker, refused.Message, StringComparison.OrdinalIgnoreCase);
            }
        }

        // A's customer writes: A's owner hears it (the change was published), B's owner never does — not even after B's own
        // customer writes and B hears that, which comes later on the same node.
        var webhooks = new WebhookClient(app.CreateClient());
        Assert.Equal(HttpStatusCode.OK, (await webhooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(a.Channel.ExternalId, a.CustomerId,
            "wamid." + Guid.NewGuid().ToString("N"), "otra vez", DateTimeOffset.UtcNow))).StatusCode);
        var aConversation = Guid.Parse(a[Seed.Conversation]);
        await Eventually.TrueAsync(() => Task.FromResult(owner.Saw("conversationChanged", aConversation) && owner.Saw("inboxChanged", aConversation)),
            "A's owner to hear A's conversation");
        var bChannel = await ChannelOfAsync(b.Id, bConversation.ChannelId);
        Assert.Equal(HttpStatusCode.OK, (await webhooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(bChannel, bCustomer,
            "wamid." + Guid.NewGuid().ToString("N"), "hola", DateTimeOffset.UtcNow))).StatusCode);
        await Eventually.TrueAsync(() => Task.FromResult(intruder.Saw("inboxChanged", bConversation.Id)), "B's owner to hear B's conversation");
        Assert.DoesNotContain(intruder.Received, r => r.Change.ConversationId == aConversation);
    }

    [Fact]
    public async Task Isolation_a_member_without_a_channel_gets_not_found_for_its_conversations_contacts_media_and_hub()
    {
        // Tenant A's second number, with its own customer; the member works only the first one.
        var a = await IsolationWorld.CreateAsync(app);
        var other = await app.ChannelAsync(a.Tenant.Id);
        var hidden = await app.ConversationAsync(a.Tenant.Id, "Paciente Reservada", "Mensaje reservado", other,
            "521" + Random.Shared.NextInt64(1000000000, 9999999999));
        Guid hiddenMessage;
        await using (var work = app.Scopes.ForTenant(a.Tenant.Id))
        {
            var message = work.Db.Messages.Single(m => m.ConversationId == hidden.Id);
            message.MediaStored("image/jpeg");
            await work.Db.SaveChangesAsync();
            hiddenMessage = message.Id;
        }
        await app.Services.GetRequiredService<OperatorConsole.Infrastructure.Media.IMediaStore>().SaveAsync(a.Tenant.Id, hiddenMessage,
            IsolationWorld.Jpeg(), default);
        var member = await app.MemberAsync(a.Tenant.Id);
        using (var api = app.Client(bearer: a.Key))
        {
            // Granted as an owner does it, through the team API.
            var granted = await System.Net.Http.Json.HttpClientJsonExtensions.PatchAsJsonAsync(api,
                $"/api/v1/tenants/{a.Tenant.Id}/members/{member.UserId}", new { channelIds = new[] { a.Channel.Id } });
            Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        }
        var hiddenIds = new Dictionary<Seed, string>(a.Ids)
        {
            [Seed.Conversation] = hidden.Id.ToString(), [Seed.Contact] = hidden.ContactId.ToString(), [Seed.Message] = hiddenMessage.ToString(),
        };
        var hiddenWorld = a with { Ids = hiddenIds, Marker = "Reservad" };
        using var browser = app.Client(await app.SignInAsync(await app.EmailOfAsync(member.UserId)));

        // Every route and page a signed-in member opens by a conversation's, contact's or message's id: generated from the table.
        var (routes, _) = IdRoutes.Read(app.Services);
        var byId = routes.Where(r => !r.Api && r.Method == "GET" && r.Kinds.Count > 0
                                     && r.Kinds.All(k => k is Seed.Conversation or Seed.Contact or Seed.Message)).ToList();
        Assert.Contains(byId, r => r.Page && r.Kinds.Contains(Seed.Contact));
        Assert.Contains(byId, r => !r.Page);
        var failures = new List<string>();
        foreach (var route in byId)
        {
            var (status, body, location) = await browser.SendAsync("GET", route.PathFor(hiddenWorld, a.Tenant.Slug));
            if (body.Contains("Reservad", StringComparison.OrdinalIgnoreCase))
                failures.Add($"{route.Pattern} showed the other channel's data ({status}): {Around(body, "Reservad")}");
            else if (!Refused(status, location) && !(route.Page && status == 200)) failures.Add($"{route.Pattern} answered {status}");
            // …while the channel they work opens (so the refusal is about the channel).
            var (mine, mineBody, _) = await browser.SendAsync("GET", route.PathFor(a, a.Tenant.Slug));
            if (mine != 200 || (route.Page && !mineBody.Contains(a.Marker, StringComparison.OrdinalIgnoreCase)))
                failures.Add($"{route.Pattern} of the member's own channel answered {mine}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // The hub: every method that takes an id refuses the other channel's conversation and accepts the member's own.
        await using var hub = await app.HubAsync(await app.SignInAsync(await app.EmailOfAsync(member.UserId)));
        await Assert.ThrowsAsync<HubException>(() => hub.Connection.InvokeAsync(nameof(ConsoleHub.JoinConversation), hidden.Id));
        await hub.Connection.InvokeAsync(nameof(ConsoleHub.JoinConversation), Guid.Parse(a[Seed.Conversation]));
    }

    private static string Around(string body, string marker)
    {
        var at = body.IndexOf(marker, StringComparison.OrdinalIgnoreCase);
        return body[Math.Max(0, at - 150)..Math.Min(body.Length, at + 100)];
    }

    /// <summary>The hub's own public methods (connect/disconnect are the framework's).</summary>
    private static List<MethodInfo> HubMethods() => typeof(ConsoleHub)
        .GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
        .Where(m => !m.IsSpecialName && m.GetBaseDefinition().DeclaringType == typeof(ConsoleHub)).ToList();

    private async Task<string> ChannelOfAsync(Guid tenantId, Guid channelId)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        return work.Db.Channels.Where(c => c.Id == channelId).Select(c => c.ExternalId).Single();
    }
}
