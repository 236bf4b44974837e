using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Templates;
using OperatorConsole.Infrastructure.Channels;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Security;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Templates;

/// <summary>WhatsApp templates against the fake Graph API: sync with paging, local refusals, submit, delete, review webhooks, isolation.</summary>
public class TemplateTests(OwnershipApp fixture) : IClassFixture<OwnershipApp>
{
    private NodeAppFactory App => fixture.App;
    private FakeGraphApi Graph => fixture.Graph;

    private HttpClient Platform(string? language = null)
    {
        var client = App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        if (language is not null) client.DefaultRequestHeaders.AcceptLanguage.ParseAdd(language);
        return client;
    }

    private async Task<HttpClient> TenantClientAsync(Guid tenantId)
    {
        await using var scope = App.Services.CreateAsyncScope();
        var key = await scope.ServiceProvider.GetRequiredService<ApiKeyService>().IssueAsync(tenantId, "templates test",
            ["read", "write", "admin"], null, new ApiKeyActor("test"));
        var client = App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Key);
        return client;
    }

    /// <summary>A tenant with a WhatsApp number on its own WABA.</summary>
    private async Task<(Guid TenantId, Guid ChannelId, string Waba)> WhatsAppAsync()
    {
        var tenant = await App.TenantAsync();
        var waba = ChannelData.NewExternalId();
        var channel = await App.Services.GetRequiredService<ChannelConnections>().ConnectWithoutProofAsync(tenant.Id,
            new ConnectChannel(ChannelKind.WhatsApp, ChannelData.NewExternalId(), waba, "Sonrisa", "token-" + Guid.NewGuid(), null, null), "test");
        return (tenant.Id, channel.Id, waba);
    }

    private static string Route(Guid tenantId, Guid channelId, string tail = "") => $"/api/v1/tenants/{tenantId}/channels/{channelId}/templates{tail}";

    private async Task<JsonArray> ListAsync(HttpClient client, Guid tenantId, Guid channelId)
    {
        var list = await client.GetFromJsonAsync<JsonObject>(Route(tenantId, channelId));
        return list!["items"]!.AsArray();
    }

    private async Task<MessageTemplate> StoredAsync(Guid tenantId, string name)
    {
        await using var work = App.Scopes.ForTenant(tenantId);
        return await work.Db.MessageTemplates.AsNoTracking().SingleAsync(t => t.Name == name);
    }

    [Fact]
    public async Task Sync_reads_every_page_and_marks_templates_gone_from_Meta_as_deleted()
    {
        var (tenantId, channelId, waba) = await WhatsAppAsync();
        Graph.AddTemplate(waba, "recordatorio_cita", "es_MX");
        Graph.AddTemplate(waba, "bienvenida", "es_MX", category: "MARKETING", body: "¡Hola {{1}}! Gracias por escribirnos.");
        Graph.AddTemplate(waba, "codigo", "es_MX", status: "REJECTED", rejectedReason: "INVALID_FORMAT");
        var client = Platform();

        var sync = await client.PostAsync(Route(tenantId, channelId, "/sync"), null);

        Assert.Equal(HttpStatusCode.OK, sync.StatusCode);
        Assert.Equal(3, (await sync.Content.ReadFromJsonAsync<JsonObject>())!["listed"]!.GetValue<int>());
        // Page size 2 at the fake: the second page was fetched through paging.next.
        Assert.Contains(Graph.Requests, r => r.Method == "GET" && r.Path.Contains($"/{waba}/message_templates") && r.Path.Contains("after=2"));
        var items = await ListAsync(client, tenantId, channelId);
        Assert.Equal(["bienvenida", "codigo", "recordatorio_cita"], items.Select(i => i!["name"]!.GetValue<string>()).ToArray());
        Assert.Equal("MARKETING", items[0]!["category"]!.GetValue<string>());
        Assert.Equal("REJECTED", items[1]!["status"]!.GetValue<string>());
        Assert.Equal("INVALID_FORMAT", items[1]!["rejectionReason"]!.GetValue<string>());
        Assert.Equal("BODY", items[2]!["components"]![0]!["type"]!.GetValue<string>());

        Graph.RemoveTemplate(waba, "codigo");
        var again = await client.PostAsync(Route(tenantId, channelId, "/sync"), null);

        Assert.Equal(1, (await again.Content.ReadFromJsonAsync<JsonObject>())!["deleted"]!.GetValue<int>());
        Assert.DoesNotContain(await ListAsync(client, tenantId, channelId), i => i!["name"]!.GetValue<string>() == "codigo");
        Assert.Equal(TemplateStatus.Deleted, (await StoredAsync(tenantId, "codigo")).Status);
    }

    [Fact]
    public async Task A_body_with_variables_out_of_order_is_refused_locally_in_Spanish_and_never_reaches_Meta()
    {
        var (tenantId, channelId, waba) = await WhatsAppAsync();

        var response = await Platform("es-MX").PostAsJsonAsync(Route(tenantId, channelId), new
        {
            name = "cita_confirmada", language = "es_MX", category = "UTILITY", body = "Hola {{2}}, tu cita es el {{3}}", bodySamples = new[] { "Ana", "lunes" },
        });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("template.variables_order", problem!["code"]!.GetValue<string>());
        Assert.Contains("Numera las variables {{1}}", problem["detail"]!.GetValue<string>());
        Assert.DoesNotContain(Graph.Requests, r => r.Method == "POST" && r.Path.Contains($"/{waba}/message_templates"));
    }

    [Fact]
    public async Task Missing_samples_and_a_name_with_capitals_are_refused_with_clear_reasons_in_English()
    {
        var (tenantId, channelId, _) = await WhatsAppAsync();
        var client = Platform("en");

        var noSamples = await client.PostAsJsonAsync(Route(tenantId, channelId), new
        {
            name = "cita", language = "es_MX", category = "UTILITY", body = "Hola {{1}}, tu cita es el {{2}}", bodySamples = new[] { "Ana" },
        });
        var badName = await client.PostAsJsonAsync(Route(tenantId, channelId), new { name = "Cita Lunes", language = "es_MX", category = "UTILITY", body = "Hola" });

        var samples = await noSamples.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("template.samples_required", samples!["code"]!.GetValue<string>());
        Assert.Contains("each of the 2 variables", samples["detail"]!.GetValue<string>());
        Assert.Equal("template.name", (await badName.Content.ReadFromJsonAsync<JsonObject>())!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_submitted_template_is_pending_until_the_review_webhook_approves_or_rejects_it_with_the_reason()
    {
        var (tenantId, channelId, waba) = await WhatsAppAsync();
        var client = Platform();

        var created = await client.PostAsJsonAsync(Route(tenantId, channelId), new
        {
            name = "aviso_pago", language = "es_MX", category = "UTILITY", header = "Pago recibido", body = "Hola {{1}}, recibimos tu pago de {{2}}.",
            bodySamples = new[] { "Ana", "$500" }, footer = "Clínica Sonrisa",
            buttons = new object[] { new { type = "quick_reply", text = "Gracias" }, new { type = "url", text = "Ver recibo", url = "https://sonrisa.example/r" } },
        });
        var rejected = await client.PostAsJsonAsync(Route(tenantId, channelId), new
        {
            name = "promo_total", language = "es_MX", category = "MARKETING", body = "¡Todo gratis hoy!",
        });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("PENDING", (await created.Content.ReadFromJsonAsync<JsonObject>())!["status"]!.GetValue<string>());
        var submitted = Graph.Requests.Last(r => r.Method == "POST" && r.Path.EndsWith($"/{waba}/message_templates") && r.Body?["name"]?.GetValue<string>() == "aviso_pago");
        var components = submitted.Body!["components"]!.AsArray();
        Assert.Equal(["HEADER", "BODY", "FOOTER", "BUTTONS"], components.Select(c => c!["type"]!.GetValue<string>()).ToArray());
        Assert.Equal("$500", components[1]!["example"]!["body_text"]![0]![1]!.GetValue<string>());
        Assert.Equal("URL", components[3]!["buttons"]![1]!["type"]!.GetValue<string>());
        var approvedId = (await StoredAsync(tenantId, "aviso_pago")).ProviderId;
        Assert.Equal(HttpStatusCode.Created, rejected.StatusCode);

        var webhooks = new WebhookClient(App.CreateClient());
        Assert.Equal(HttpStatusCode.OK, (await webhooks.PostMetaAsync("whatsapp", Review(waba, approvedId, "aviso_pago", "APPROVED", "NONE"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await webhooks.PostMetaAsync("whatsapp", Review(waba, null, "promo_total", "REJECTED", "PROMOTIONAL"))).StatusCode);

        await Eventually.TrueAsync(async () => (await StoredAsync(tenantId, "aviso_pago")).Status == TemplateStatus.Approved, "the approval applied");
        await Eventually.TrueAsync(async () => (await StoredAsync(tenantId, "promo_total")).Status == TemplateStatus.Rejected, "the rejection applied");
        Assert.Equal("PROMOTIONAL", (await StoredAsync(tenantId, "promo_total")).RejectionReason);
        Assert.Null((await StoredAsync(tenantId, "aviso_pago")).RejectionReason);
    }

    [Fact]
    public async Task A_review_for_another_WABA_changes_nothing_here()
    {
        var (tenantId, channelId, waba) = await WhatsAppAsync();
        Graph.AddTemplate(waba, "recordatorio", "es_MX", status: "PENDING");
        await Platform().PostAsync(Route(tenantId, channelId, "/sync"), null);
        var (_, _, otherWaba) = await WhatsAppAsync();

        await new WebhookClient(App.CreateClient()).PostMetaAsync("whatsapp", Review(otherWaba, null, "recordatorio", "REJECTED", "SPAM"));
        await new WebhookClient(App.CreateClient()).PostMetaAsync("whatsapp", Review(waba, null, "recordatorio", "APPROVED", "NONE"));

        await Eventually.TrueAsync(async () => (await StoredAsync(tenantId, "recordatorio")).Status == TemplateStatus.Approved, "its own WABA's approval");
        Assert.Null((await StoredAsync(tenantId, "recordatorio")).RejectionReason);
    }

    [Fact]
    public async Task Deleting_removes_the_template_at_Meta_and_from_the_list()
    {
        var (tenantId, channelId, waba) = await WhatsAppAsync();
        Graph.AddTemplate(waba, "vieja_promo", "es_MX");
        var client = Platform();
        await client.PostAsync(Route(tenantId, channelId, "/sync"), null);
        var id = (await ListAsync(client, tenantId, channelId)).Single()!["id"]!.GetValue<Guid>();

        var deleted = await client.DeleteAsync(Route(tenantId, channelId, $"/{id}"));

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Contains(Graph.Requests, r => r.Method == "DELETE" && r.Path.Contains("name=vieja_promo"));
        Assert.Empty(Graph.Templates(waba));
        Assert.Empty(await ListAsync(client, tenantId, channelId));
    }

    [Fact]
    public async Task Another_tenant_cannot_see_sync_or_delete_your_templates()
    {
        var (tenantId, channelId, waba) = await WhatsAppAsync();
        Graph.AddTemplate(waba, "privada", "es_MX");
        await Platform().PostAsync(Route(tenantId, channelId, "/sync"), null);
        var id = (await ListAsync(Platform(), tenantId, channelId)).Single()!["id"]!.GetValue<Guid>();
        var intruder = await App.TenantAsync();
        var client = await TenantClientAsync(intruder.Id);
        var requestsBefore = Graph.Requests.Count(r => r.Path.Contains($"/{waba}/"));

        // Its own tenant route with our channel id: the channel does not exist for it.
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(Route(intruder.Id, channelId))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync(Route(intruder.Id, channelId, "/sync"), null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync(Route(intruder.Id, channelId, $"/{id}"))).StatusCode);
        // Our tenant route: refused before anything is looked up.
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync(Route(tenantId, channelId))).StatusCode);
        Assert.Equal(requestsBefore, Graph.Requests.Count(r => r.Path.Contains($"/{waba}/")));
        Assert.Single(Graph.Templates(waba));
    }

    /// <summary>Meta's message_template_status_update delivery: the WABA in entry.id, the decision in value.event.</summary>
    private static string Review(string waba, string? templateId, string name, string status, string reason) => JsonSerializer.Serialize(new
    {
        @object = "whatsapp_business_account",
        entry = new[]
        {
            new
            {
                id = waba, time = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                changes = new[]
                {
                    new
                    {
                        field = "message_template_status_update",
                        value = new Dictionary<string, object?>
                        {
                            ["event"] = status,
                            ["message_template_id"] = templateId is null ? 9999999L : long.Parse(templateId),
                            ["message_template_name"] = name,
                            ["message_template_language"] = "es_MX",
                            ["reason"] = reason,
                        },
                    },
                },
            },
        },
    });
}
