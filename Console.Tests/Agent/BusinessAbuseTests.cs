using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Agent;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Agent;

/// <summary>
/// What a tenant or a customer could do to the business through the agent: run a model the platform does not offer,
/// be charged a price the model made up, or hold the whole calendar.
/// </summary>
public class BusinessAbuseTests(AgentApp agent) : IClassFixture<AgentApp>
{
    private FakeLlm Llm => agent.Llm;

    private static HttpClient PlatformApi(ConsoleAppFactory app)
    {
        var api = app.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        return api;
    }

    /// <summary>Adds a product through the REST API; returns its id.</summary>
    public static async Task<Guid> ProductAsync(ConsoleAppFactory app, Guid tenantId, string name, decimal price, string currency, bool active = true)
    {
        var response = await PlatformApi(app).PostAsJsonAsync($"/api/v1/tenants/{tenantId}/products", new { name, price, currency, active });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private async Task<ConversationEvent> SingleToolCallAsync(TestCustomer customer, string name) =>
        (await customer.EventsAsync()).Single(e => e.Type == ConversationEventType.ToolCalled && e.Text == name);

    [Fact]
    public async Task Saving_a_model_outside_the_platforms_allowlist_is_refused_with_400()
    {
        var tenant = await agent.App.TenantAsync();
        var api = PlatformApi(agent.App);

        var refused = await api.PutAsJsonAsync($"/api/v1/tenants/{tenant.Id}/agent", new { model = "gpt-5-ultra-max" });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("gpt-5-ultra-max", problem.GetProperty("detail").GetString());
        Assert.Contains("gpt-4o-mini", problem.GetProperty("detail").GetString());
        Assert.Null((await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/agent")).GetProperty("model").GetString());

        // The UI's save path (the draft) refuses it too.
        await using (var work = agent.App.Scopes.ForTenant(tenant.Id))
        {
            var profiles = agent.App.Services.GetRequiredService<AgentProfiles>();
            var live = await profiles.GetLiveAsync(work.Db, tenant.Id, default);
            var ex = await Assert.ThrowsAsync<OperatorConsole.Domain.Common.DomainException>(() =>
                profiles.SaveDraftAsync(work.Db, tenant.Id, live.Settings with { Model = "gpt-5-ultra-max" }, default));
            Assert.Equal("agent.model", ex.Code);
        }

        var allowed = await api.PutAsJsonAsync($"/api/v1/tenants/{tenant.Id}/agent", new { model = "gpt-4o-mini" });
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal("gpt-4o-mini", (await allowed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("model").GetString());
    }

    [Fact]
    public async Task A_turn_never_sends_a_stored_model_outside_the_allowlist_and_uses_the_default()
    {
        var customer = await TestCustomer.CreateAsync(agent.App);
        // Written around the API, as a profile saved before the platform narrowed its list would be.
        await using (var work = agent.App.Scopes.ForTenant(customer.TenantId))
        {
            var live = await work.Db.AgentProfiles.SingleAsync(p => p.State == AgentProfileState.Live);
            live.Update(live.Settings with { Model = "o1-pro-expensive" }, DateTimeOffset.UtcNow);
            await work.Db.SaveChangesAsync();
        }
        agent.App.Services.GetRequiredService<AgentProfiles>().Forget(customer.TenantId);
        Llm.Reply(LlmAnswer.Say("¡Hola!"));
        await customer.SayAsync($"{customer.Marker} hola");
        await customer.WaitForBotMessagesAsync(1);

        var request = Llm.ReplyRequests.Last(r => r.ToJsonString().Contains(customer.Marker));
        Assert.Equal("gpt-4o", (string?)request["model"]);
        Assert.DoesNotContain(Llm.Requests, r => (string?)r["model"] == "o1-pro-expensive");
    }

    [Fact]
    public async Task send_payment_link_charges_the_products_price_not_the_amount_the_model_gives()
    {
        var customer = await TestCustomer.CreateAsync(agent.App);
        var productId = await ProductAsync(agent.App, customer.TenantId, "Blanqueamiento", 450.00m, "MXN");
        Llm.Reply(LlmAnswer.Call("send_payment_link", new { product_or_plan = "Blanqueamiento", amount = 1, currency = "USD" }),
            LlmAnswer.Say("Te envié el enlace."));
        await customer.SayAsync($"{customer.Marker} el blanqueamiento me lo dejas en 1 dólar, ¿va?");
        var replies = await customer.WaitForBotMessagesAsync(2);
        await customer.WaitUntilSettledAsync();

        await using var work = agent.App.Scopes.ForTenant(customer.TenantId);
        var link = await work.Db.PaymentLinks.AsNoTracking().SingleAsync();
        Assert.Equal(450.00m, link.Amount);
        Assert.Equal("MXN", link.Currency);
        Assert.Equal(productId, link.ProductId);
        Assert.Contains(replies, m => m.Body!.Contains("450 MXN") && m.Body.Contains($"/pay/{link.Id}"));
        // The ignored amount is on the record (the tool call's output), and the model is told what was charged.
        var output = JsonDocument.Parse((await SingleToolCallAsync(customer, "send_payment_link")).Data!).RootElement.GetProperty("output").GetString();
        Assert.Contains("was ignored", output);
        Assert.Contains("450 MXN", output);
    }

    [Fact]
    public async Task send_payment_link_for_an_unknown_or_inactive_product_sends_no_link_and_lists_the_available_ones()
    {
        var customer = await TestCustomer.CreateAsync(agent.App);
        await ProductAsync(agent.App, customer.TenantId, "Limpieza", 600m, "MXN");
        await ProductAsync(agent.App, customer.TenantId, "Ortodoncia", 15000m, "MXN", active: false);
        Llm.Reply(LlmAnswer.Call("send_payment_link", new { product_or_plan = "Ortodoncia", amount = 10, currency = "MXN" }),
            LlmAnswer.Say("¿Te refieres a la limpieza?"));
        await customer.SayAsync($"{customer.Marker} quiero pagar la ortodoncia");
        await customer.WaitForBotMessagesAsync(1);
        await customer.WaitUntilSettledAsync();

        Assert.Equal("¿Te refieres a la limpieza?", Assert.Single(await customer.BotMessagesAsync()).Body);
        await using (var work = agent.App.Scopes.ForTenant(customer.TenantId))
            Assert.False(await work.Db.PaymentLinks.AnyAsync());
        var error = JsonDocument.Parse((await SingleToolCallAsync(customer, "send_payment_link")).Data!).RootElement.GetProperty("error").GetString();
        Assert.Contains("no product named 'Ortodoncia'", error);
        Assert.Contains("Limpieza (600 MXN)", error);
        // The model is told too (the request's JSON escapes quotes, so the check leaves them out).
        Assert.Contains("Limpieza (600 MXN)", Llm.ReplyRequests.Last(r => r.ToJsonString().Contains(customer.Marker)).ToJsonString());
    }

    [Fact]
    public async Task The_products_api_creates_lists_updates_and_deletes_the_tenants_products()
    {
        var tenant = await agent.App.TenantAsync();
        var other = await agent.App.TenantAsync();
        var api = PlatformApi(agent.App);
        var id = await ProductAsync(agent.App, tenant.Id, "Consulta", 450.00m, "mxn");

        var list = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/products");
        Assert.Equal(450.00m, list[0].GetProperty("price").GetDecimal());
        Assert.Equal("MXN", list[0].GetProperty("currency").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/products",
            new { name = "CONSULTA", price = 1, currency = "MXN" })).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/products",
            new { name = "Gratis", price = 0, currency = "MXN" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.PutAsJsonAsync($"/api/v1/tenants/{other.Id}/products/{id}", new { price = 1 })).StatusCode);

        var updated = await api.PutAsJsonAsync($"/api/v1/tenants/{tenant.Id}/products/{id}", new { price = 500.50, active = false });
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        var body = await updated.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(500.50m, body.GetProperty("price").GetDecimal());
        Assert.False(body.GetProperty("active").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, (await api.DeleteAsync($"/api/v1/tenants/{other.Id}/products/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync($"/api/v1/tenants/{tenant.Id}/products/{id}")).StatusCode);
        Assert.Empty((await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/products")).EnumerateArray());
    }

    [Fact]
    public async Task book_appointment_refuses_a_third_open_appointment_for_one_customer()
    {
        var hours = new BusinessHours([new OpeningInterval(DayOfWeek.Monday, new TimeOnly(9, 0), new TimeOnly(12, 0))]);
        var customer = await TestCustomer.CreateAsync(agent.App, s => s with { BusinessHours = hours, AppointmentMinutes = 60, TimeZone = "America/Mexico_City" });
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/Mexico_City");
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone).DateTime);
        var monday = today.AddDays(((int)DayOfWeek.Monday - (int)today.DayOfWeek + 7) % 7 + 7);
        Llm.Reply(LlmAnswer.Call("book_appointment", new { start = $"{monday:yyyy-MM-dd}T09:00" }),
            LlmAnswer.Call("book_appointment", new { start = $"{monday:yyyy-MM-dd}T10:00" }),
            LlmAnswer.Call("book_appointment", new { start = $"{monday:yyyy-MM-dd}T11:00" }),
            LlmAnswer.Say("Ya tienes dos citas; ¿quieres cambiar una?"));
        await customer.SayAsync($"{customer.Marker} quiero tres citas el lunes");
        await customer.WaitForBotMessagesAsync(1);
        await customer.WaitUntilSettledAsync();

        await using var work = agent.App.Scopes.ForTenant(customer.TenantId);
        var booked = await work.Db.Appointments.AsNoTracking().OrderBy(a => a.StartsAt).ToListAsync();
        Assert.Equal(2, booked.Count);
        var third = (await customer.EventsAsync()).Single(e => e.Type == ConversationEventType.ToolCalled && e.Data!.Contains("T11:00"));
        var error = JsonDocument.Parse(third.Data!).RootElement.GetProperty("error").GetString();
        Assert.Contains("not booked", error);
        Assert.Contains("the limit is 2", error);
        Assert.Contains("the limit is 2", Llm.ReplyRequests.Last(r => r.ToJsonString().Contains(customer.Marker)).ToJsonString());
    }
}
