using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Agent.Tools;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Agent;

/// <summary>A tenant's webhook on 127.0.0.1: records what it receives; /echo, /slow, /big and /redirect?to=.</summary>
public sealed class ToolServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ToolServer(WebApplication app) => _app = app;

    public ConcurrentQueue<(string Path, string Body, Dictionary<string, string> Headers)> Received { get; } = new();
    public int Port { get; private set; }

    public static async Task<ToolServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new ToolServer(app);
        app.Use(async (http, next) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            // Copied: the request's header collection is reused once the request ends.
            server.Received.Enqueue((http.Request.Path + http.Request.QueryString, await reader.ReadToEndAsync(),
                http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
            await next(http);
        });
        app.MapMethods("/echo", ["GET", "POST"], () => Results.Json(new { inStock = 7, warehouse = "Norte" }));
        app.MapPost("/slow", async (CancellationToken ct) => { await Task.Delay(TimeSpan.FromSeconds(10), ct); return Results.Ok(); });
        app.MapGet("/big", () => Results.Text(new string('x', 10_000)));
        app.MapMethods("/redirect", ["GET", "POST"], (string to) => Results.Redirect(to));
        await app.StartAsync();
        server.Port = new Uri(app.Urls.First()).Port;
        return server;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

public sealed class CustomToolApp : IAsyncLifetime
{
    public FakeLlm Llm { get; private set; } = default!;
    public ToolServer Allowed { get; private set; } = default!;
    public ToolServer Internal { get; private set; } = default!;

    /// <summary>Another allowed origin (a different port), where a tool's server may redirect.</summary>
    public ToolServer Other { get; private set; } = default!;
    public NodeAppFactory App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Llm = await FakeLlm.StartAsync();
        Allowed = await ToolServer.StartAsync();
        Internal = await ToolServer.StartAsync(); // stands for a service inside the network: never on the allowlist
        Other = await ToolServer.StartAsync();
        var settings = AgentApp.Settings(Llm);
        settings["Agent:ToolAllowlist:0"] = $"127.0.0.1:{Allowed.Port}";
        settings["Agent:ToolAllowlist:1"] = $"127.0.0.1:{Other.Port}";
        App = new NodeAppFactory(null, settings);
        await App.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Allowed.DisposeAsync();
        await Internal.DisposeAsync();
        await Other.DisposeAsync();
        await Llm.DisposeAsync();
    }
}

public class CustomToolTests(CustomToolApp fixture) : IClassFixture<CustomToolApp>
{
    private CustomToolRunner Runner => fixture.App.Services.GetRequiredService<CustomToolRunner>();

    private AgentTool Tool(string url, string? body = null, int timeout = 5, string mode = "live", IReadOnlyDictionary<string, string>? headers = null,
        string method = "POST") =>
        AgentTool.Create(Guid.NewGuid(), new AgentToolSpec("check_stock", "Stock of a product", """{"type":"object","properties":{"product":{"type":"string"}}}""",
            url, method, headers, body, timeout, mode, mode == "mock" ? """{"inStock":3}""" : null),
            fixture.App.Services.GetRequiredService<SecretProtector>().Protect, DateTimeOffset.UtcNow);

    private static JsonElement Args(object value) => JsonSerializer.SerializeToElement(value);

    [Fact]
    public async Task After_a_downgrade_below_pro_the_tool_stays_configured_but_the_agent_is_no_longer_offered_it()
    {
        var customer = await TestCustomer.CreateAsync(fixture.App);
        var api = fixture.App.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        var created = await api.PostAsJsonAsync($"/api/v1/tenants/{customer.TenantId}/tools", new
        {
            name = "check_stock",
            description = "Existencias de un producto",
            parametersSchema = new { type = "object", properties = new { product = new { type = "string" } } },
            url = $"http://127.0.0.1:{fixture.Allowed.Port}/echo",
            method = "POST",
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        List<string?> Offered(string marker) => fixture.Llm.ReplyRequests.Last(r => r.ToJsonString().Contains(marker))["tools"]!.AsArray()
            .Select(t => (string?)t!["function"]!["name"]).ToList();

        await customer.SayAsync($"{customer.Marker} hola");
        await customer.WaitForBotMessagesAsync(1);
        await customer.WaitUntilSettledAsync();
        Assert.Contains("check_stock", Offered(customer.Marker));

        await using (var work = fixture.App.Scopes.ForTenant(customer.TenantId))
        {
            var tenant = await work.Db.Tenants.SingleAsync(t => t.Id == customer.TenantId);
            tenant.ChangePlan(OperatorConsole.Domain.Tenants.Plan.Growth);
            await work.Db.SaveChangesAsync();
        }
        var marker = "baja-" + Guid.NewGuid().ToString("N")[..6];
        await customer.SayAsync($"{marker} ¿tienen cepillos?");
        await customer.WaitForBotMessagesAsync(2);
        await customer.WaitUntilSettledAsync();
        var offered = Offered(marker);
        Assert.DoesNotContain("check_stock", offered);
        Assert.Contains("escalate_to_human", offered); // the built-in tools are every plan's
        await using (var work = fixture.App.Scopes.ForTenant(customer.TenantId))
            Assert.True(await work.Db.AgentTools.AnyAsync(t => t.Name == "check_stock" && t.Enabled)); // kept for when it upgrades again
    }

    [Fact]
    public async Task The_agent_calls_a_custom_tool_with_arguments_interpolated_json_escaped_and_its_secret_header()
    {
        var customer = await TestCustomer.CreateAsync(fixture.App);
        var api = fixture.App.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        var created = await api.PostAsJsonAsync($"/api/v1/tenants/{customer.TenantId}/tools", new
        {
            name = "check_stock",
            description = "Existencias de un producto",
            parametersSchema = new { type = "object", properties = new { product = new { type = "string" }, qty = new { type = "integer" } }, required = new[] { "product" } },
            url = $"http://127.0.0.1:{fixture.Allowed.Port}/echo?sku={{{{product}}}}",
            method = "POST",
            headers = new Dictionary<string, string> { ["X-Api-Key"] = "sk-tenant-secret" },
            bodyTemplate = """{"product":"{{product}}","qty":{{qty}}}""",
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        fixture.Llm.Reply(LlmAnswer.Call("check_stock", new { product = "cepillo \"pro\" & más", qty = 2 }), LlmAnswer.Say("Tenemos 7 en existencia."));
        await customer.SayAsync($"{customer.Marker} ¿tienen cepillos?");
        await customer.WaitForBotMessagesAsync(1);

        var call = fixture.Allowed.Received.Single(r => r.Path.StartsWith("/echo?sku=cepillo"));
        Assert.Equal("/echo?sku=cepillo%20%22pro%22%20%26%20m%C3%A1s", call.Path);
        var body = JsonNode.Parse(call.Body)!;
        Assert.Equal("cepillo \"pro\" & más", (string?)body["product"]);
        Assert.Equal(2, (int)body["qty"]!);
        Assert.Equal("sk-tenant-secret", call.Headers["X-Api-Key"]);
        var events = await customer.EventsAsync();
        var tool = events.Single(e => e.Type == ConversationEventType.ToolCalled);
        Assert.Contains("warehouse", JsonDocument.Parse(tool.Data!).RootElement.GetProperty("output").GetString());
        Assert.Contains("7", fixture.Llm.ReplyRequests.Last(r => r.ToJsonString().Contains(customer.Marker)).ToJsonString());
    }

    [Theory]
    [InlineData("http://127.0.0.1:{internal}/echo")]
    [InlineData("http://localhost:{internal}/echo")]
    [InlineData("http://10.0.0.5/echo")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://[::1]:{internal}/echo")]
    [InlineData("http://192.168.1.1/admin")]
    public async Task Private_loopback_and_metadata_destinations_are_refused_without_a_request(string url)
    {
        var before = fixture.Internal.Received.Count;
        var outcome = await Runner.RunAsync(Tool(url.Replace("{internal}", fixture.Internal.Port.ToString())), Args(new { product = "x" }), false, default);
        Assert.NotNull(outcome.Error);
        Assert.StartsWith("refused", outcome.Error);
        Assert.Equal(before, fixture.Internal.Received.Count);
    }

    [Theory]
    [InlineData("http://127.0.0.1:{internal}/echo")]
    [InlineData("http://169.254.169.254/latest/meta-data/iam/")]
    public async Task A_redirect_from_an_allowed_server_to_an_internal_address_is_refused(string target)
    {
        var to = Uri.EscapeDataString(target.Replace("{internal}", fixture.Internal.Port.ToString()));
        var before = fixture.Internal.Received.Count;
        var outcome = await Runner.RunAsync(Tool($"http://127.0.0.1:{fixture.Allowed.Port}/redirect?to={to}"), Args(new { product = "x" }), false, default);
        Assert.StartsWith("refused", outcome.Error);
        Assert.Contains(fixture.Allowed.Received, r => r.Path.StartsWith("/redirect"));
        Assert.Equal(before, fixture.Internal.Received.Count);
    }

    [Fact]
    public async Task A_slow_tool_times_out_a_big_answer_is_truncated_and_mock_mode_makes_no_request()
    {
        var slow = await Runner.RunAsync(Tool($"http://127.0.0.1:{fixture.Allowed.Port}/slow", timeout: 1), Args(new { }), false, default);
        Assert.Equal("timed out after 1 s", slow.Error);

        var big = await Runner.RunAsync(Tool($"http://127.0.0.1:{fixture.Allowed.Port}/big", method: "GET"), Args(new { }), false, default);
        Assert.Null(big.Error);
        Assert.EndsWith("[truncated]", big.Output);
        Assert.True(big.Output.Length < CustomToolRunner.MaxOutput + 20);

        var before = fixture.Allowed.Received.Count;
        var mock = await Runner.RunAsync(Tool($"http://127.0.0.1:{fixture.Allowed.Port}/echo", mode: "mock"), Args(new { }), false, default);
        var forced = await Runner.RunAsync(Tool($"http://127.0.0.1:{fixture.Allowed.Port}/echo", body: "{}"), Args(new { }), true, default);
        Assert.Equal("""{"inStock":3}""", mock.Output);
        Assert.Null(forced.Error);
        Assert.Equal(before, fixture.Allowed.Received.Count);
    }

    [Fact]
    public async Task The_tools_api_masks_and_encrypts_header_values_and_refuses_bad_or_duplicate_tools()
    {
        var tenant = await fixture.App.TenantAsync();
        var other = await fixture.App.TenantAsync();
        var api = fixture.App.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        var spec = new
        {
            name = "crm_lookup", description = "Busca al cliente en el CRM", parametersSchema = new { type = "object" },
            url = "https://crm.example.com/api/{{email}}", method = "GET", headers = new Dictionary<string, string> { ["Authorization"] = "Bearer crm-secret-123" },
        };
        var created = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/tools", spec);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var json = await created.Content.ReadAsStringAsync();
        Assert.DoesNotContain("crm-secret-123", json);
        Assert.Contains("\"Authorization\":\"***\"", json);
        var id = JsonDocument.Parse(json).RootElement.GetProperty("id").GetGuid();

        await using (var conn = new NpgsqlConnection(fixture.App.OwnerConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("SET app.platform = 'on'; SELECT protected_headers FROM agent_tools WHERE id = @id", conn);
            cmd.Parameters.AddWithValue("id", id);
            var stored = (string?)await cmd.ExecuteScalarAsync();
            Assert.False(string.IsNullOrEmpty(stored));
            Assert.DoesNotContain("crm-secret-123", stored);
        }

        Assert.Equal(HttpStatusCode.Conflict, (await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/tools", spec)).StatusCode);
        var builtIn = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/tools", spec with { name = "send_file" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, builtIn.StatusCode);
        Assert.Contains("built-in", await builtIn.Content.ReadAsStringAsync());
        var badSchema = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/tools", spec with { name = "x1", parametersSchema = new { type = "string" } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badSchema.StatusCode);
        var badUrl = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/tools", spec with { name = "x2", url = "ftp://x" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badUrl.StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await api.PutAsJsonAsync($"/api/v1/tenants/{other.Id}/tools/{id}", spec)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.DeleteAsync($"/api/v1/tenants/{other.Id}/tools/{id}")).StatusCode);
        var list = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/tools");
        Assert.Equal("crm_lookup", list[0].GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync($"/api/v1/tenants/{tenant.Id}/tools/{id}")).StatusCode);
    }

    private const string OrderSchema = """
        {"type":"object","properties":{
          "product":{"type":"string","maxLength":20},
          "qty":{"type":"integer"},
          "size":{"type":"string","enum":["S","M","L"]}},
         "required":["product"]}
        """;

    private AgentTool OrderTool(string url) =>
        AgentTool.Create(Guid.NewGuid(), new AgentToolSpec("place_order", "Order a product", OrderSchema, url, "POST", null,
            """{"product":"{{product}}","qty":{{qty}}}""", 5, "live", null),
            fixture.App.Services.GetRequiredService<SecretProtector>().Protect, DateTimeOffset.UtcNow);

    [Theory]
    [InlineData("""{"product":"cepillo","qty":"dos"}""", "qty")]
    [InlineData("""{"qty":2}""", "product")]
    [InlineData("""{"product":"cepillo","size":"XXL"}""", "size")]
    [InlineData("""{"product":"cepillo de dientes ultra suave extra largo"}""", "product")]
    public async Task Arguments_that_do_not_match_the_tools_schema_are_not_sent_and_the_error_names_the_argument(string arguments, string culprit)
    {
        var marker = Guid.NewGuid().ToString("N");
        var outcome = await Runner.RunAsync(OrderTool($"http://127.0.0.1:{fixture.Allowed.Port}/echo?m={marker}"),
            JsonDocument.Parse(arguments).RootElement, false, default);

        Assert.StartsWith("invalid arguments, nothing was sent", outcome.Error);
        Assert.Contains(culprit, outcome.Error);
        Assert.DoesNotContain(fixture.Allowed.Received, r => r.Path.Contains(marker));
    }

    [Fact]
    public async Task The_model_gets_the_validation_error_and_its_invalid_call_is_recorded_as_failed_without_a_request()
    {
        var customer = await TestCustomer.CreateAsync(fixture.App);
        var marker = Guid.NewGuid().ToString("N");
        var api = PlatformApi();
        var created = await api.PostAsJsonAsync($"/api/v1/tenants/{customer.TenantId}/tools", new
        {
            name = "place_order", description = "Hace un pedido", parametersSchema = JsonDocument.Parse(OrderSchema).RootElement,
            url = $"http://127.0.0.1:{fixture.Allowed.Port}/echo?m={marker}", method = "POST",
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        fixture.Llm.Reply(LlmAnswer.Call("place_order", new { product = "cepillo", size = "XXL" }), LlmAnswer.Say("¿Qué talla quieres: S, M o L?"));
        await customer.SayAsync($"{customer.Marker} quiero un cepillo talla XXL");
        await customer.WaitForBotMessagesAsync(1);
        await customer.WaitUntilSettledAsync();

        Assert.DoesNotContain(fixture.Allowed.Received, r => r.Path.Contains(marker));
        var call = (await customer.EventsAsync()).Single(e => e.Type == ConversationEventType.ToolCalled);
        using var data = JsonDocument.Parse(call.Data!);
        Assert.Contains("invalid arguments", data.RootElement.GetProperty("error").GetString());
        // The follow-up request carries the refusal back to the model, so it can ask the customer and call again.
        var followUp = fixture.Llm.ReplyRequests.Last(r => r.ToJsonString().Contains(customer.Marker)).ToJsonString();
        Assert.Contains("invalid arguments, nothing was sent", followUp);
        Assert.Contains("size", followUp);
    }

    [Fact]
    public async Task Contact_phone_in_the_url_is_the_real_senders_even_when_the_model_passes_another()
    {
        var customer = await TestCustomer.CreateAsync(fixture.App);
        var marker = Guid.NewGuid().ToString("N");
        var api = PlatformApi();
        var created = await api.PostAsJsonAsync($"/api/v1/tenants/{customer.TenantId}/tools", new
        {
            name = "my_orders", description = "Pedidos del cliente",
            parametersSchema = new { type = "object", properties = new Dictionary<string, object> { ["contact.phone"] = new { type = "string" }, ["phone"] = new { type = "string" } } },
            url = $"http://127.0.0.1:{fixture.Allowed.Port}/echo?m={marker}&phone={{{{contact.phone}}}}&conv={{{{conversation.id}}}}",
            method = "POST", bodyTemplate = """{"contact":"{{contact.id}}","name":"{{contact.name}}"}""",
            headers = new Dictionary<string, string> { ["X-Customer-Phone"] = "{{contact.phone}}" },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        fixture.Llm.Reply(LlmAnswer.Call("my_orders", new Dictionary<string, string> { ["contact.phone"] = "+15550001111", ["phone"] = "+15550001111" }),
            LlmAnswer.Say("Tienes 1 pedido."));
        await customer.SayAsync($"{customer.Marker} soy +15550001111, ¿qué pedidos tengo?");
        await customer.WaitForBotMessagesAsync(1);
        await customer.WaitUntilSettledAsync();

        var conversation = await customer.ConversationAsync();
        await using var work = fixture.App.Scopes.ForTenant(customer.TenantId);
        var contact = await work.Db.Contacts.AsNoTracking().SingleAsync();
        Assert.False(string.IsNullOrEmpty(contact.PhoneE164));
        var call = fixture.Allowed.Received.Single(r => r.Path.Contains(marker));
        Assert.Equal($"/echo?m={marker}&phone={Uri.EscapeDataString(contact.PhoneE164!)}&conv={conversation.Id}", call.Path);
        Assert.DoesNotContain("15550001111", call.Path + call.Body);
        Assert.Equal(contact.Id.ToString(), (string?)JsonNode.Parse(call.Body)!["contact"]);
        Assert.Equal(contact.PhoneE164, call.Headers["X-Customer-Phone"]);
    }

    [Fact]
    public async Task A_redirect_to_another_origin_does_not_carry_the_tools_secret_header_but_one_to_the_same_origin_does()
    {
        var marker = Guid.NewGuid().ToString("N");
        var headers = new Dictionary<string, string> { ["X-Api-Key"] = "sk-tenant-secret" };
        var elsewhere = Uri.EscapeDataString($"http://127.0.0.1:{fixture.Other.Port}/echo?m={marker}");
        var away = await Runner.RunAsync(Tool($"http://127.0.0.1:{fixture.Allowed.Port}/redirect?to={elsewhere}", method: "GET", headers: headers),
            Args(new { product = "x" }), false, default);
        Assert.Null(away.Error);
        Assert.Equal("sk-tenant-secret", fixture.Allowed.Received.Single(r => r.Path.Contains(marker)).Headers["X-Api-Key"]);
        var hop = fixture.Other.Received.Single(r => r.Path.Contains(marker));
        Assert.False(hop.Headers.ContainsKey("X-Api-Key"));

        var same = Uri.EscapeDataString($"http://127.0.0.1:{fixture.Allowed.Port}/echo?same={marker}");
        var home = await Runner.RunAsync(Tool($"http://127.0.0.1:{fixture.Allowed.Port}/redirect?to={same}", method: "GET", headers: headers),
            Args(new { product = "x" }), false, default);
        Assert.Null(home.Error);
        Assert.Equal("sk-tenant-secret", fixture.Allowed.Received.Single(r => r.Path.StartsWith($"/echo?same={marker}")).Headers["X-Api-Key"]);
    }

    [Theory]
    [InlineData("""{"type":"object","properties":{"qty":{"type":"integr"}}}""")]
    [InlineData("""{"type":"object","properties":{"name":{"type":"string","maxLength":-1}}}""")]
    [InlineData("""{"type":"object","required":"product"}""")]
    [InlineData("""{"type":"object","properties":{"qty":{"$ref":"#/$defs/missing"}}}""")]
    public async Task A_tool_whose_parameters_schema_is_not_a_valid_json_schema_is_refused_with_the_reason(string schema)
    {
        var tenant = await fixture.App.TenantAsync();
        var response = await PlatformApi().PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/tools", new
        {
            name = "bad_schema", description = "x", parametersSchema = JsonDocument.Parse(schema).RootElement, url = "https://crm.example.com/x",
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("not a valid JSON Schema", problem.GetProperty("detail").GetString());
        await using var work = fixture.App.Scopes.ForTenant(tenant.Id);
        Assert.False(await work.Db.AgentTools.AnyAsync());
    }

    private HttpClient PlatformApi()
    {
        var api = fixture.App.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        return api;
    }
}
