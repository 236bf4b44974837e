using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Infrastructure.Agent.Tools;
using OperatorConsole.Infrastructure.Inbox;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Agent;

/// <summary>The owner's side of the tools (what the Tools tab calls): Test under the SSRF rules, write-only headers, built-in switches, audit.</summary>
public class ToolCatalogTests(CustomToolApp fixture) : IClassFixture<CustomToolApp>
{
    private ToolCatalog Catalog => fixture.App.Services.GetRequiredService<ToolCatalog>();

    private const string TwoParameters = """{"type":"object","properties":{"sku":{"type":"string"},"qty":{"type":"integer"}},"required":["sku"]}""";

    private static AgentToolSpec Spec(string url, string description = "Existencias de un producto") =>
        new("check_stock", description, TwoParameters, url, "POST", null, """{"sku":"{{sku}}","qty":{{qty}},"phone":"{{contact.phone}}"}""", 5, "live", null);

    private static JsonElement Args(object value) => JsonSerializer.SerializeToElement(value);

    [Fact]
    public async Task Test_refuses_a_loopback_address_not_on_the_allowlist_and_calls_nothing()
    {
        var tenant = await fixture.App.TenantAsync();
        var marker = Guid.NewGuid().ToString("N");

        var result = await Catalog.TestAsync(tenant.Id, null, Spec($"http://127.0.0.1:{fixture.Internal.Port}/echo?m={marker}"), null,
            Args(new { sku = "A1", qty = 2 }));

        Assert.Equal(ToolFailure.Refused, result.Failure);
        Assert.Null(result.Status);
        Assert.StartsWith("refused:", result.Error);
        Assert.DoesNotContain(fixture.Internal.Received, r => r.Path.Contains(marker));
    }

    [Fact]
    public async Task Test_calls_an_allowlisted_server_with_the_sample_arguments_and_shows_status_time_and_answer()
    {
        var tenant = await fixture.App.TenantAsync();
        var marker = Guid.NewGuid().ToString("N");

        var result = await Catalog.TestAsync(tenant.Id, null, Spec($"http://127.0.0.1:{fixture.Allowed.Port}/echo?m={marker}"),
            new Dictionary<string, string?> { ["X-Api-Key"] = "sk-test" }, ToolParameters.Arguments(
                [new ToolParameter { Name = "sku", Type = "string" }, new ToolParameter { Name = "qty", Type = "integer" }],
                new Dictionary<string, string?> { ["sku"] = "cepillo", ["qty"] = "3" }));

        Assert.Equal(200, result.Status);
        Assert.Null(result.Error);
        Assert.Contains("Norte", result.Output);
        Assert.InRange(result.Milliseconds, 0, 5000);
        var call = Assert.Single(fixture.Allowed.Received, r => r.Path.Contains(marker));
        var body = JsonNode.Parse(call.Body)!;
        Assert.Equal(("cepillo", 3), ((string?)body["sku"], (int)body["qty"]!));
        // The sandbox's stand-in, never a real customer's number.
        Assert.Equal("+10000000000", (string?)body["phone"]);
        Assert.Equal("sk-test", call.Headers["X-Api-Key"]);
        // A Test stores nothing.
        await using var work = fixture.App.Scopes.ForTenant(tenant.Id);
        Assert.False(await work.Db.AgentTools.AnyAsync());
    }

    [Fact]
    public async Task A_secret_header_survives_an_edit_that_leaves_it_empty_is_never_returned_and_the_server_still_gets_it()
    {
        var tenant = await fixture.App.TenantAsync();
        var actor = new ToolActor(tenant.Id, null, "Dueña");
        var marker = Guid.NewGuid().ToString("N");
        var url = $"http://127.0.0.1:{fixture.Allowed.Port}/echo?m={marker}";
        var created = await Catalog.SaveAsync(actor, null, Spec(url), new Dictionary<string, string?> { ["X-Api-Key"] = "sk-very-secret" });

        // The editor sends the stored header back without a value (the owner did not touch it), and changes the description.
        await Catalog.SaveAsync(actor, created.Id, Spec(url, "Existencias por sucursal"), new Dictionary<string, string?> { ["X-Api-Key"] = null });

        var tool = Assert.Single(await Catalog.ListAsync(tenant.Id));
        Assert.Equal("Existencias por sucursal", tool.Description);
        Assert.Equal(["X-Api-Key"], tool.HeaderNames);
        var result = await Catalog.TestAsync(tenant.Id, tool.Id, Spec(url), new Dictionary<string, string?> { ["X-Api-Key"] = null }, Args(new { sku = "B2" }));
        Assert.Equal(200, result.Status);
        Assert.Equal("sk-very-secret", Assert.Single(fixture.Allowed.Received, r => r.Path.Contains(marker)).Headers["X-Api-Key"]);

        // Neither the API nor the audit log gives the value back.
        var api = fixture.App.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        var listed = await api.GetStringAsync($"/api/v1/tenants/{tenant.Id}/tools");
        Assert.DoesNotContain("sk-very-secret", listed);
        await using var work = fixture.App.Scopes.ForTenant(tenant.Id);
        var audit = await work.Db.AuditEntries.AsNoTracking().Where(a => a.EntityType == nameof(AgentTool)).OrderBy(a => a.CreatedAt).ToListAsync();
        Assert.Equal(["tool.created", "tool.updated"], audit.Select(a => a.Action));
        Assert.All(audit, a => Assert.DoesNotContain("sk-very-secret", (a.Before ?? "") + a.After));
        Assert.Contains("Existencias por sucursal", audit[1].After);
        Assert.Equal("Dueña", audit[1].Actor);
    }

    [Fact]
    public async Task A_new_header_without_a_value_is_refused()
    {
        var tenant = await fixture.App.TenantAsync();
        var ex = await Assert.ThrowsAsync<OperatorConsole.Domain.Common.DomainException>(() => Catalog.SaveAsync(new ToolActor(tenant.Id, null, "x"), null,
            Spec($"http://127.0.0.1:{fixture.Allowed.Port}/echo"), new Dictionary<string, string?> { ["X-Api-Key"] = null }));
        Assert.Equal("tool.header_value", ex.Code);
    }

    [Fact]
    public async Task A_built_in_tool_switched_off_is_not_offered_to_the_model_and_the_switch_is_audited()
    {
        var customer = await TestCustomer.CreateAsync(fixture.App);
        var api = fixture.App.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        var put = await api.PutAsJsonAsync($"/api/v1/tenants/{customer.TenantId}/tools/built-ins",
            new { disabledBuiltIns = new[] { "send_payment_link", "book_appointment" } });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var state = await api.GetFromJsonAsync<JsonObject>($"/api/v1/tenants/{customer.TenantId}/tools/built-ins");
        Assert.Equal(["book_appointment", "send_payment_link"], state!["disabledBuiltIns"]!.AsArray().Select(n => (string?)n));

        await customer.SayAsync($"{customer.Marker} quiero pagar mi limpieza");
        await customer.WaitForBotMessagesAsync(1);

        var request = fixture.Llm.ReplyRequests.Last(r => r.ToJsonString().Contains(customer.Marker));
        var offered = request["tools"]!.AsArray().Select(t => (string?)t!["function"]!["name"]).ToList();
        Assert.Contains("escalate_to_human", offered);
        Assert.Contains("check_availability", offered);
        Assert.DoesNotContain("send_payment_link", offered);
        Assert.DoesNotContain("book_appointment", offered);

        var unknown = await api.PutAsJsonAsync($"/api/v1/tenants/{customer.TenantId}/tools/built-ins", new { disabledBuiltIns = new[] { "rm_rf" } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown.StatusCode);
        await using var work = fixture.App.Scopes.ForTenant(customer.TenantId);
        var entry = await work.Db.AuditEntries.AsNoTracking().SingleAsync(a => a.Action == "tool.builtins_changed");
        Assert.Contains("send_payment_link", entry.After);
    }

    [Fact]
    public async Task Quick_reply_changes_are_audited()
    {
        var tenant = await fixture.App.TenantAsync();
        var commands = fixture.App.Services.GetRequiredService<ConversationCommands>();
        var actor = new InboxActor(tenant.Id, null, OperatorConsole.Domain.Tenants.TenantRole.Owner, "Dueña");
        var reply = await commands.SaveCannedReplyAsync(actor, null, "hola", "Hola {{contact_first_name}}");
        await commands.SaveCannedReplyAsync(actor, reply.Id, "hola", "¡Hola {{contact_first_name}}!");
        await commands.DeleteCannedReplyAsync(actor, reply.Id);

        await using var work = fixture.App.Scopes.ForTenant(tenant.Id);
        var audit = await work.Db.AuditEntries.AsNoTracking().Where(a => a.EntityType == "CannedReply").OrderBy(a => a.CreatedAt).ToListAsync();
        Assert.Equal(["canned_reply.created", "canned_reply.updated", "canned_reply.deleted"], audit.Select(a => a.Action));
        Assert.Contains("¡Hola {{contact_first_name}}!", audit[1].After);
        Assert.Null(audit[2].After);
    }
}
