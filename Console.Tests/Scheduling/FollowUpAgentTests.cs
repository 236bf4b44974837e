using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.FollowUps;
using OperatorConsole.Infrastructure.Scheduling;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Scheduling;

/// <summary>With a model (the local fake), the agent writes the follow-up itself from the tenant's prompt plus the follow-up instruction.</summary>
public class FollowUpAgentTests(AgentApp agent) : IClassFixture<AgentApp>
{
    [Fact]
    public async Task Inside_the_window_the_agent_writes_the_follow_up_with_the_follow_up_instruction()
    {
        var app = agent.App;
        var customer = await TestCustomer.CreateAsync(app, s => s with { BusinessHours = BusinessHours.Always });
        var platform = app.CreateClient();
        platform.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        var key = (await (await platform.PostAsJsonAsync($"/api/v1/tenants/{customer.TenantId}/api-keys", new { name = "f" }))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString();
        var api = app.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        (await api.PutAsJsonAsync($"/api/v1/tenants/{customer.TenantId}/follow-ups", new { enabled = true, afterMinutes = new[] { 60 } })).EnsureSuccessStatusCode();

        await customer.SayAsync($"Hola {customer.Marker}, ¿tienen cita el sábado?");
        await customer.WaitForBotMessagesAsync(1);
        await customer.WaitUntilSettledAsync();
        ScheduledItem planned;
        await using (var work = app.Scopes.ForTenant(customer.TenantId))
            planned = await Eventually.GetAsync(() => work.Db.ScheduledItems.AsNoTracking().FirstOrDefaultAsync(i => i.Kind == ScheduledItemKind.FollowUp),
                i => i is not null, "a planned follow-up") ?? throw new InvalidOperationException();

        var written = $"¿Te reservo el sábado a las 10? {customer.Marker}";
        agent.Llm.Reply(LlmAnswer.Say(written));
        var at = DateTimeOffset.UtcNow.AddSeconds(1);
        await using (var work = app.Scopes.ForTenant(customer.TenantId))
            await work.Db.ScheduledItems.Where(i => i.Id == planned.Id).ExecuteUpdateAsync(s => s.SetProperty(i => i.At, at));
        await app.Services.GetRequiredService<ScheduledItems>().TriggerAsync(customer.TenantId, planned.Id, at, default);

        var sent = await customer.WaitForBotMessagesAsync(2);
        Assert.Equal(written, sent[^1].Body);
        Assert.Contains(agent.Llm.ReplyRequests, r => r.ToJsonString().Contains("has not answered for a while") && r.ToJsonString().Contains(customer.Marker));
    }
}
