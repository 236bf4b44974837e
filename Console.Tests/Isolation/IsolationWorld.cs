using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Integrations;
using OperatorConsole.Domain.Templates;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Infrastructure.Media;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Tenants;
using OperatorConsole.Tests.Live;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Isolation;

/// <summary>The kinds of object a route parameter can name; <see cref="Seed.AgentVersion"/> is an ordinal inside one tenant, not an id.</summary>
public enum Seed
{
    Tenant, Channel, Conversation, Contact, Message, Payment, Tool, Knowledge, Product, Webhook, WebhookDelivery, Import, Template,
    Replay, File, Scheduled, Appointment, Label, ApiKey, MemberUser, Invitation, AgentVersion,
}

/// <summary>
/// Tenant A with one real object of every kind a route can name, each carrying <see cref="Marker"/> where it has a name or
/// text, so an answer that shows any of A's data to someone else is recognisable; plus A's key with every scope.
/// </summary>
public sealed record IsolationWorld(ProvisionedTenant Tenant, string OwnerEmail, string Key, string Marker, string CustomerId, Channel Channel,
    IReadOnlyDictionary<Seed, string> Ids)
{
    public string this[Seed seed] => Ids[seed];

    public static async Task<IsolationWorld> CreateAsync(ConsoleAppFactory app)
    {
        var tenant = await app.TenantAsync();
        var a = tenant.Id;
        var marker = "Secreto" + Guid.NewGuid().ToString("N")[..10];
        var now = DateTimeOffset.UtcNow;
        var channel = await app.ChannelAsync(a);
        var customer = "521" + Random.Shared.NextInt64(1000000000, 9999999999);
        var conversation = await app.ConversationAsync(a, $"{marker} Cliente", $"{marker} mensaje", channel, customer);
        var member = await app.MemberAsync(a);
        var key = await app.Services.GetRequiredService<ApiKeyService>().IssueAsync(a, $"{marker} key", ["read", "write", "admin"], null,
            new ApiKeyActor("test"));
        var ids = new Dictionary<Seed, string>
        {
            [Seed.Tenant] = a.ToString(), [Seed.Channel] = channel.Id.ToString(), [Seed.Conversation] = conversation.Id.ToString(),
            [Seed.Contact] = conversation.ContactId.ToString(), [Seed.ApiKey] = key.Id.ToString(), [Seed.MemberUser] = member.UserId.ToString(),
            [Seed.AgentVersion] = "1",
        };
        await using (var work = app.Scopes.ForTenant(a))
        {
            var message = await work.Db.Messages.SingleAsync(m => m.ConversationId == conversation.Id);
            message.MediaStored("image/jpeg");
            ids[Seed.Message] = message.Id.ToString();

            var product = Product.Create(a, $"{marker} producto", $"{marker} descripción", 100m, "MXN", true, now);
            var payment = PaymentLink.Create(a, conversation.ContactId, conversation.Id, $"{marker} pago", 100m, "MXN", now, product.Id);
            var tool = AgentTool.Create(a, new AgentToolSpec($"secreto_{marker[^10..]}", $"{marker} herramienta", null, "https://tools.example.com/x",
                "POST", null, null, null, "mock", "{}"), s => s, now);
            var knowledge = KnowledgeDocument.Create(a, $"{marker} documento", $"{marker} contenido del documento", now);
            var webhook = OutboundWebhook.Create(a, new Uri("https://hooks.example.com/secreto"), [OutboundWebhook.EventTypes[0]], "protected", now);
            var evt = OutboundWebhookEvent.Create(Guid.NewGuid(), a, OutboundWebhook.EventTypes[0], $"{{\"note\":\"{marker}\"}}", now);
            var delivery = OutboundWebhookDelivery.Create(a, webhook.Id, evt, now, TimeSpan.FromHours(1));
            // Already answered, so no worker of the test's app tries to send it.
            delivery.Delivered(200, $"{marker} respuesta", now);
            var import = ContactImport.Start(a, $"{marker}.csv", new Dictionary<string, string> { ["name"] = "Name" }, DuplicatePolicy.Update, "MX", 1,
                marker, now);
            var template = MessageTemplate.Record(a, channel.Id, marker.ToLowerInvariant(), "es", TemplateCategory.Utility,
                TemplateStatus.Approved, $$"""[{"type":"BODY","text":"{{marker}} plantilla"}]""", "tpl1", null, now);
            var replay = ReplayRun.Start(a, 1, false, null, 0, 0, marker, now);
            var file = AgentFile.Create(a, $"{marker} archivo", "https://files.example.com/secreto.pdf", "document", "secreto.pdf", now);
            var scheduled = ScheduledItem.Schedule(conversation, ScheduledItemKind.Message, now.AddDays(30), $"{marker} programado", null, now);
            var resource = BookableResource.Create(a, $"{marker} agenda", false, 9, 30, now);
            var appointment = Appointment.Book(a, conversation.ContactId, resource.Id, conversation.Id, now.AddDays(20), TimeSpan.FromMinutes(30),
                $"{marker} cita", null, $"{marker} notas", now);
            var label = Label.Create(a, $"{marker} etiqueta", null, now);
            var invitation = Invitation.Create(a, $"{marker.ToLowerInvariant()}@invited.test", TenantRole.Agent, Guid.NewGuid().ToString("N"), null,
                marker, now);
            work.Db.AddRange(product, payment, tool, knowledge, webhook, evt, delivery, import, template, replay, file, scheduled, resource,
                appointment, label, invitation);
            await work.Db.SaveChangesAsync();
            ids[Seed.Product] = product.Id.ToString();
            ids[Seed.Payment] = payment.Id.ToString();
            ids[Seed.Tool] = tool.Id.ToString();
            ids[Seed.Knowledge] = knowledge.Id.ToString();
            ids[Seed.Webhook] = webhook.Id.ToString();
            ids[Seed.WebhookDelivery] = delivery.Id.ToString();
            ids[Seed.Import] = import.Id.ToString();
            ids[Seed.Template] = template.Id.ToString();
            ids[Seed.Replay] = replay.Id.ToString();
            ids[Seed.File] = file.Id.ToString();
            ids[Seed.Scheduled] = scheduled.Id.ToString();
            ids[Seed.Appointment] = appointment.Id.ToString();
            ids[Seed.Label] = label.Id.ToString();
            ids[Seed.Invitation] = invitation.Id.ToString();
        }
        await app.Services.GetRequiredService<IMediaStore>().SaveAsync(a, Guid.Parse(ids[Seed.Message]), Jpeg(), default);
        return new IsolationWorld(tenant, $"{tenant.Slug}@owner.test", key.Key, marker, customer, channel, ids);
    }

    public static MemoryStream Jpeg() => new([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0]);
}

/// <summary>A route of the app's own table that names a tenant's object, with the kinds its parameters stand for.</summary>
public sealed partial record IdRoute(string Method, string Pattern, IReadOnlyList<Seed> Kinds, bool Page, bool Api)
{
    public bool HasTenant => Pattern.Contains("{t}", StringComparison.Ordinal);

    /// <summary>The path with <paramref name="slug"/> for <c>{t}</c> and the world's ids for the other parameters, in order.</summary>
    public string PathFor(IsolationWorld world, string slug)
    {
        var i = 0;
        return Parameter().Replace(Pattern, m => m.Value == "{t}" ? slug : world[Kinds[i++]]);
    }

    [GeneratedRegex(@"\{[^}]+\}")]
    public static partial Regex Parameter();
}

/// <summary>
/// Reads every route from the app's <see cref="EndpointDataSource"/> (as AdminAccessTests does), so a route added later is
/// checked without editing a test: every <c>/api/v1</c> route (the platform's own routes excepted: AdminAccessTests) and every
/// other route or page with a parameter. <see cref="Map"/> says which kind of object each parameter names; a route with a
/// parameter that is neither mapped nor <see cref="NotTenantObjects"/> is reported by <see cref="Read"/> so the suite fails.
/// </summary>
public static class IdRoutes
{
    private const string Api = "/api/v1/tenants/{t}";

    /// <summary>Pattern → the kinds of its parameters other than <c>{t}</c>, in order.</summary>
    public static readonly IReadOnlyDictionary<string, Seed[]> Map = new Dictionary<string, Seed[]>(StringComparer.OrdinalIgnoreCase)
    {
        [$"{Api}/payments/{{id:guid}}/voucher"] = [Seed.Payment],
        [$"{Api}/payments/{{id:guid}}/confirm"] = [Seed.Payment],
        [$"{Api}/payments/{{id:guid}}/reject"] = [Seed.Payment],
        [$"{Api}/agent/versions/{{n:int}}/restore"] = [Seed.AgentVersion],
        [$"{Api}/tools/{{id:guid}}"] = [Seed.Tool],
        [$"{Api}/knowledge/{{id:guid}}"] = [Seed.Knowledge],
        [$"{Api}/knowledge/{{id:guid}}/chunks"] = [Seed.Knowledge],
        [$"{Api}/conversations/{{id:guid}}"] = [Seed.Conversation],
        [$"{Api}/conversations/{{id:guid}}/messages"] = [Seed.Conversation],
        [$"{Api}/conversations/{{id:guid}}/takeover"] = [Seed.Conversation],
        [$"{Api}/conversations/{{id:guid}}/release"] = [Seed.Conversation],
        [$"{Api}/conversations/{{id:guid}}/resolve"] = [Seed.Conversation],
        [$"{Api}/conversations/{{id:guid}}/scheduled"] = [Seed.Conversation],
        [$"{Api}/conversations/{{id:guid}}/scheduled/{{sid:guid}}"] = [Seed.Conversation, Seed.Scheduled],
        [$"{Api}/conversations/{{id:guid}}/labels"] = [Seed.Conversation],
        [$"{Api}/contacts/{{id:guid}}"] = [Seed.Contact],
        [$"{Api}/contacts/{{id:guid}}/opt-out"] = [Seed.Contact],
        [$"{Api}/contacts/imports/{{id:guid}}"] = [Seed.Import],
        [$"{Api}/contacts/imports/{{id:guid}}/errors.csv"] = [Seed.Import],
        [$"{Api}/products/{{id:guid}}"] = [Seed.Product],
        [$"{Api}/webhooks/{{id:guid}}"] = [Seed.Webhook],
        [$"{Api}/webhooks/{{id:guid}}/deliveries"] = [Seed.Webhook],
        [$"{Api}/webhooks/{{id:guid}}/deliveries/{{deliveryId:guid}}/replay"] = [Seed.Webhook, Seed.WebhookDelivery],
        [$"{Api}/channels/{{c:guid}}/templates"] = [Seed.Channel],
        [$"{Api}/channels/{{c:guid}}/templates/sync"] = [Seed.Channel],
        [$"{Api}/channels/{{c:guid}}/templates/{{id:guid}}"] = [Seed.Channel, Seed.Template],
        [$"{Api}/agent/replays/{{id:guid}}"] = [Seed.Replay],
        [$"{Api}/agent/replays/{{id:guid}}/cancel"] = [Seed.Replay],
        [$"{Api}/files/{{id:guid}}"] = [Seed.File],
        [$"{Api}/appointments/{{id:guid}}"] = [Seed.Appointment],
        [$"{Api}/labels/{{id:guid}}"] = [Seed.Label],
        [$"{Api}/api-keys/{{id:guid}}"] = [Seed.ApiKey],
        [$"{Api}/members/{{userId:guid}}"] = [Seed.MemberUser],
        [$"{Api}/invitations/{{id:guid}}"] = [Seed.Invitation],
        ["/leads/imports/{id:guid}/errors.csv"] = [Seed.Import],
        ["/invite/{id:guid}.ics"] = [Seed.Appointment],
        ["/media/{messageId:guid}"] = [Seed.Message],
        ["/Account/SwitchTenant/{tenantId:guid}"] = [Seed.Tenant],
        ["/channels/embedded-signup/{tenantId:guid}"] = [Seed.Tenant],
        ["/inbox/{ConversationId:guid}"] = [Seed.Conversation],
        ["/leads/{ContactId:guid}"] = [Seed.Contact],
        ["/leads/imports/{ImportId:guid}"] = [Seed.Import],
        ["/channels/{ChannelId:guid}/templates"] = [Seed.Channel],
    };

    /// <summary>
    /// "METHOD pattern" → a body that passes the route's own validation, for routes that check the body before the object
    /// (a 400 there proves nothing about isolation); every other write gets <c>{}</c>.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> Bodies = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [$"POST {Api}/conversations/{{id:guid}}/messages"] = """{"text":"hola"}""",
        [$"POST {Api}/conversations/{{id:guid}}/scheduled"] = $$"""{"at":"{{DateTimeOffset.UtcNow.AddDays(2):O}}","text":"hola"}""",
        [$"PATCH {Api}/webhooks/{{id:guid}}"] = """{"active":false}""",
        [$"POST {Api}/channels/{{c:guid}}/templates"] = """{"name":"hola_mundo","language":"es","category":"utility","body":"Hola"}""",
    };

    /// <summary>Routes with a parameter that is not a tenant's object, each with the reason (and where it is proved instead).</summary>
    public static readonly IReadOnlyDictionary<string, string> NotTenantObjects = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["/Account/Status/{Code:int}"] = "an HTTP status code",
        ["/openapi/{documentName}.json"] = "the API description",
        ["/{**path:file}"] = "static files",
        ["/media/out/{token}"] = "a signed, expiring link the channel downloads outbound media from (a capability, not an id)",
        ["/pay/{Id:guid}"] = "the customer's payment page: opened without an account from the link the customer was sent",
        ["/webhooks/{source}"] = "signed provider webhooks (hostile-input suite)",
        ["/webhooks/{source}/{tenantSlug}"] = "signed provider webhooks (hostile-input suite)",
        ["/webhooks/stripe/{tenantSlug}"] = "signed Stripe webhooks (hostile-input suite)",
    };

    public static bool Skipped(string pattern) =>
        pattern.StartsWith("/api/v1/platform", StringComparison.OrdinalIgnoreCase)
        || pattern.Equals("/admin", StringComparison.OrdinalIgnoreCase) || pattern.StartsWith("/admin/", StringComparison.OrdinalIgnoreCase)
        // Hubs and the Blazor circuit endpoint: IsolationTests drives the hub's methods.
        || pattern.StartsWith("/hubs/", StringComparison.OrdinalIgnoreCase) || pattern.StartsWith("/_", StringComparison.Ordinal);

    /// <summary>Every route to check, and the patterns nobody mapped yet.</summary>
    public static (List<IdRoute> Routes, List<string> Unmapped) Read(IServiceProvider services)
    {
        var routes = new List<IdRoute>();
        var unmapped = new List<string>();
        foreach (var endpoint in services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = "/" + (endpoint.RoutePattern.RawText ?? "").Trim('/');
            if (Skipped(pattern) || NotTenantObjects.ContainsKey(pattern)) continue;
            var api = pattern.StartsWith("/api/v1/", StringComparison.OrdinalIgnoreCase);
            var parameters = IdRoute.Parameter().Matches(pattern).Select(m => m.Value).Where(p => p != "{t}").ToList();
            if (!api && parameters.Count == 0) continue;
            if (api && !pattern.Contains("{t}", StringComparison.Ordinal) && parameters.Count == 0) continue; // e.g. POST /tenants: platform key only
            Seed[] kinds = [];
            if (parameters.Count > 0)
            {
                if (Map.TryGetValue(pattern, out var mapped)) kinds = mapped;
                else
                {
                    unmapped.Add(pattern);
                    continue;
                }
            }
            var page = endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>() is not null;
            var methods = endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            // Pages also answer POST for their forms; antiforgery refuses those before any code runs, GET is the one that renders.
            foreach (var method in page ? methods.Where(m => m == "GET") : methods)
                routes.Add(new IdRoute(method, pattern, kinds, page, api));
        }
        return (routes.DistinctBy(r => (r.Method, r.Pattern)).ToList(), unmapped.Distinct().ToList());
    }
}

public static class IsolationHttp
{
    public static HttpClient Client(this ConsoleAppFactory app, CookieContainer? cookies = null, string? bearer = null)
    {
        var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies ?? new CookieContainer(), AllowAutoRedirect = false })
            { BaseAddress = app.ServerAddress };
        if (bearer is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("es");
        return http;
    }

    public static async Task<(int Status, string Body, string? Location)> SendAsync(this HttpClient http, string method, string path, string body = "{}")
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is not ("GET" or "HEAD" or "DELETE")) request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Location?.OriginalString);
    }

    public static async Task<string> EmailOfAsync(this ConsoleAppFactory app, Guid userId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        return (await users.FindByIdAsync(userId.ToString()))!.Email!;
    }
}
