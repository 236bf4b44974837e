using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Inbox;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Inbox;

/// <summary>Conversation labels over the REST API and the commands: defined per tenant, set, filtered, never crossing tenants.</summary>
public class ConversationLabelTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    private HttpClient Client(string key)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private Task<HttpClient> TenantKeyAsync(Guid tenantId) => app.TenantApiAsync(tenantId, "labels");

    [Fact]
    public async Task A_label_is_defined_set_on_a_conversation_shown_on_it_and_narrows_the_list()
    {
        var tenant = await app.TenantAsync();
        var api = await TenantKeyAsync(tenant.Id);
        var labelled = await app.ConversationAsync(tenant.Id, "Con etiqueta");
        var other = await app.ConversationAsync(tenant.Id, "Sin etiqueta");

        var created = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/labels", new { name = " Factura ", color = "#DC2626" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var label = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("Factura", "#dc2626"), (label.GetProperty("name").GetString(), label.GetProperty("color").GetString()));
        var labelId = label.GetProperty("id").GetGuid();
        var duplicate = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/labels", new { name = "Factura" });
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);

        var put = await api.PutAsJsonAsync($"/api/v1/tenants/{tenant.Id}/conversations/{labelled.Id}/labels", new { labelIds = new[] { labelId } });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var one = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/conversations/{labelled.Id}");
        Assert.Equal([labelId], one.GetProperty("labelIds").EnumerateArray().Select(e => e.GetGuid()));

        var filtered = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/conversations?labelId={labelId}");
        Assert.Equal([labelled.Id], filtered.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()));
        var all = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/conversations");
        Assert.Contains(other.Id, all.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()));

        // Deleting the label takes it off every conversation.
        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync($"/api/v1/tenants/{tenant.Id}/labels/{labelId}")).StatusCode);
        var after = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/conversations/{labelled.Id}/labels");
        Assert.Empty(after.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Another_tenants_label_id_is_refused_by_the_api_the_commands_and_the_database()
    {
        var a = await app.TenantAsync();
        var b = await app.TenantAsync();
        var labelOfA = await app.Services.GetRequiredService<LabelCommands>().CreateAsync(InboxActor.Integration(a.Id), "VIP de A", "#9333ea");
        var conversationOfB = await app.ConversationAsync(b.Id, "Cliente de B");
        var apiB = await TenantKeyAsync(b.Id);

        var put = await apiB.PutAsJsonAsync($"/api/v1/tenants/{b.Id}/conversations/{conversationOfB.Id}/labels", new { labelIds = new[] { labelOfA.Id } });
        Assert.Equal(HttpStatusCode.NotFound, put.StatusCode);
        Assert.DoesNotContain("VIP de A", await put.Content.ReadAsStringAsync());
        Assert.DoesNotContain(labelOfA.Id, (await apiB.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{b.Id}/labels")).EnumerateArray()
            .Select(l => l.GetProperty("id").GetGuid()));
        Assert.Equal(HttpStatusCode.NotFound, (await apiB.DeleteAsync($"/api/v1/tenants/{b.Id}/labels/{labelOfA.Id}")).StatusCode);

        var commands = app.Services.GetRequiredService<LabelCommands>();
        var refused = await Assert.ThrowsAsync<DomainException>(() =>
            commands.SetAsync(InboxActor.Integration(b.Id), conversationOfB.Id, labelOfA.Id, true));
        Assert.Equal(Label.NotFoundCode, refused.Code);

        // Even a raw write in B's scope cannot tie B's conversation to A's label: the keys include the tenant.
        await using (var work = app.Scopes.ForTenant(b.Id))
        {
            work.Db.ConversationLabels.Add(ConversationLabel.Create(b.Id, conversationOfB.Id, labelOfA.Id, DateTimeOffset.UtcNow));
            await Assert.ThrowsAsync<DbUpdateException>(() => work.Db.SaveChangesAsync());
        }
        await using var system = app.Scopes.ForSystem("test");
        Assert.False(await system.Db.ConversationLabels.IgnoreQueryFilters().AnyAsync(l => l.LabelId == labelOfA.Id));
        Assert.True(await system.Db.Labels.IgnoreQueryFilters().AnyAsync(l => l.Id == labelOfA.Id && l.TenantId == a.Id));
    }
}
