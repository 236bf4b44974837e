using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Agent.Knowledge;
using OperatorConsole.Infrastructure.Channels;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Billing;

public class PlanGateTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    private HttpClient Api(string language = "es")
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        client.DefaultRequestHeaders.AcceptLanguage.ParseAdd(language);
        return client;
    }

    private static object Tool(string name) => new
    {
        name, description = "Busca al cliente en el CRM", parametersSchema = new { type = "object" },
        url = "https://crm.example.com/api/{{email}}", method = "GET",
    };

    private static async Task<JsonElement> PaymentRequiredAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task A_starter_workspace_is_refused_custom_tools_webhooks_and_replay_with_402_naming_the_plan_and_a_pro_one_is_allowed()
    {
        var starter = await app.TenantAsync(plan: Plan.Starter);
        var pro = await app.TenantAsync(plan: Plan.Pro);
        var api = Api();

        var tool = await PaymentRequiredAsync(await api.PostAsJsonAsync($"/api/v1/tenants/{starter.Id}/tools", Tool("crm_lookup")));
        Assert.Equal("plan.upgrade_required", tool.GetProperty("code").GetString());
        Assert.Equal("Pro", tool.GetProperty("requiredPlan").GetString());
        Assert.Equal("Tu plan no incluye las herramientas personalizadas. Mejora al plan Pro para usarlo.", tool.GetProperty("detail").GetString());

        var hook = await PaymentRequiredAsync(await api.PostAsJsonAsync($"/api/v1/tenants/{starter.Id}/webhooks",
            new { url = "https://hooks.example.com/in", events = new[] { "message.received" } }));
        Assert.Equal("Pro", hook.GetProperty("requiredPlan").GetString());
        var replay = await PaymentRequiredAsync(await Api("en").PostAsJsonAsync($"/api/v1/tenants/{starter.Id}/agent/replays",
            new { conversationIds = new[] { Guid.NewGuid() } }));
        Assert.Equal("Your plan does not include replay evaluation. Upgrade to Pro to use it.", replay.GetProperty("detail").GetString());

        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync($"/api/v1/tenants/{pro.Id}/tools", Tool("crm_lookup"))).StatusCode);
    }

    [Fact]
    public async Task A_downgrade_keeps_existing_tools_but_refuses_new_ones_and_switching_one_back_on()
    {
        var tenant = await app.TenantAsync(plan: Plan.Pro);
        var api = Api();
        var created = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/tools", Tool("crm_lookup"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.OK, (await api.PutAsJsonAsync($"/api/v1/tenants/{tenant.Id}/tools/{id}",
            new { name = "crm_lookup", description = "Busca", parametersSchema = new { type = "object" }, url = "https://crm.example.com/x", method = "GET", enabled = false }))
            .StatusCode);

        await app.SetPlanAsync(tenant.Id, Plan.Growth);

        var list = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/tools");
        Assert.Contains(list.EnumerateArray(), t => t.GetProperty("id").GetGuid() == id);
        await PaymentRequiredAsync(await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/tools", Tool("otra_herramienta")));
        await PaymentRequiredAsync(await api.PutAsJsonAsync($"/api/v1/tenants/{tenant.Id}/tools/{id}",
            new { name = "crm_lookup", description = "Busca", parametersSchema = new { type = "object" }, url = "https://crm.example.com/x", method = "GET", enabled = true }));
    }

    [Fact]
    public async Task Seats_count_members_and_pending_invitations_and_the_refusal_names_the_plan_with_more()
    {
        var tenant = await app.TenantAsync(plan: Plan.Starter); // two seats: the owner and one more
        var api = Api();
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/invitations",
            new { email = $"{TestData.Unique("a")}@team.test", role = "Agent" })).StatusCode);

        var refused = await PaymentRequiredAsync(await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/invitations",
            new { email = $"{TestData.Unique("b")}@team.test", role = "Agent" }));

        Assert.Equal("plan.limit_reached", refused.GetProperty("code").GetString());
        Assert.Equal("Growth", refused.GetProperty("requiredPlan").GetString());
        Assert.Equal("Tu plan permite hasta 2 lugares (miembros e invitaciones pendientes). Mejora al plan Growth para tener más.",
            refused.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Live_channels_and_knowledge_bytes_are_bounded_by_the_plan()
    {
        var tenant = await app.TenantAsync(plan: Plan.Starter);
        await app.ChannelAsync(tenant.Id);
        var second = await Assert.ThrowsAsync<DomainException>(() => app.ChannelAsync(tenant.Id));
        Assert.Equal("plan.limit_reached", second.Code);

        await using var work = app.Scopes.ForTenant(tenant.Id);
        var knowledge = work.Services.GetRequiredService<KnowledgeBase>();
        await knowledge.AddAsync("Precios", "La limpieza cuesta 600 pesos.", default);
        // A file that fills the Starter plan's 10 MB but for a few bytes.
        work.Db.KnowledgeDocuments.Add(KnowledgeDocument.Queue(tenant.Id, "Catálogo", KnowledgeSource.File, "catalogo.pdf",
            10 * 1024 * 1024 - 200, DateTimeOffset.UtcNow));
        await work.Db.SaveChangesAsync();
        var tooMuch = await Assert.ThrowsAsync<DomainException>(() => knowledge.AddAsync("Horarios", new string('a', 300), default));
        Assert.Equal("plan.limit_reached", tooMuch.Code);
        Assert.Equal(Plan.Growth, Assert.IsType<Plan>(tooMuch.Args[^1]));
    }

    [Fact]
    public async Task Without_stripe_set_up_a_plan_checkout_is_503_with_the_reason_in_the_callers_language_and_nothing_changes()
    {
        // This host has no Stripe:SecretKey: the request is fine, the platform cannot take payments yet.
        var tenant = await app.TenantAsync(plan: Plan.Starter);
        var response = await Api("es").PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/billing/checkout", new { plan = "growth" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("billing.not_configured", problem.GetProperty("code").GetString());
        Assert.Contains("factura", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        var summary = await Api().GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}");
        Assert.Equal("Starter", summary.GetProperty("plan").GetString(), ignoreCase: true);
    }
}
