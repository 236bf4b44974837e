using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>The bot never talks over a human: an agent takes over while the model is answering, then hands back.</summary>
public class BotTakeoverBrowserTests(AgentBrowserApp agent, BrowserFixture browser) : IClassFixture<AgentBrowserApp>, IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Take_over_means_the_bots_pending_reply_never_arrives_and_hand_back_lets_it_answer_again()
    {
        var app = agent.App;
        var webhooks = new WebhookClient(new HttpClient { BaseAddress = app.ServerAddress });
        Guid tenantId;
        await using (var system = app.Scopes.ForSystem("test"))
            tenantId = await system.Db.Tenants.Where(t => t.Slug == DemoSeeder.TenantSlug).Select(t => t.Id).SingleAsync();
        var waId = "52155" + Random.Shared.Next(10000000, 99999999);
        async Task SayAsync(string text) => Assert.True((await webhooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(DemoSeeder.WhatsAppPhoneNumberId,
            waId, "wamid." + Guid.NewGuid().ToString("N"), text, DateTimeOffset.UtcNow, "Beatriz Bot"))).IsSuccessStatusCode);
        async Task<Conversation?> ConversationAsync()
        {
            await using var work = app.Scopes.ForTenant(tenantId);
            return await (from i in work.Db.ContactIdentities join c in work.Db.Conversations on i.ContactId equals c.ContactId
                          where i.Value == waId select c).AsNoTracking().FirstOrDefaultAsync();
        }

        // Signed in before the customer writes: the model's hold must outlast the sign-in on a busy machine, and it
        // must stay under the model timeout (Llm:TimeoutSeconds), or the bot answers with its fallback before the click.
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.ServerAddress.ToString(), Locale = "es-MX", ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/Account/Login?returnUrl={Uri.EscapeDataString("/inbox")}");
        await page.GetByLabel("Correo electrónico").FillAsync(DemoSeeder.AgentEmail);
        await page.GetByLabel("Contraseña").FillAsync(DemoSeeder.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Entrar" }).ClickAsync();
        await page.WaitForURLAsync("**/inbox");
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });

        // The model is slow on this one: it is still thinking when the agent takes over.
        var hold = new TaskCompletionSource();
        agent.Llm.Reply(new LlmAnswer(Text: "Respuesta del bot que no debe llegar", Hold: hold));
        await SayAsync("Hola, tengo una duda con mi factura");
        var conversation = await Eventually.GetAsync(ConversationAsync, c => c is not null, "the conversation");
        await Eventually.TrueAsync(() => Task.FromResult(agent.Llm.ReplyRequests.Any(r => r.ToJsonString().Contains("duda con mi factura"))),
            "the model to be asked", TimeSpan.FromSeconds(30));

        await page.GotoAsync($"/inbox/{conversation!.Id}");
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });

        await page.GetByRole(AriaRole.Button, new() { Name = "Tomar control" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("owner-badge")).ToContainTextAsync("Andrés Agente");
        hold.SetResult();
        // The runner finishes the model call and drops the reply: nothing is due or held any more.
        await Eventually.TrueAsync(async () => await ConversationAsync() is { AgentLeaseId: null, AgentDueAt: null }, "the dropped turn");
        var messages = page.GetByTestId("message");
        await Assertions.Expect(messages.Filter(new() { HasText = "duda con mi factura" })).ToBeVisibleAsync();
        await Assertions.Expect(messages.Filter(new() { HasText = "Respuesta del bot que no debe llegar" })).ToHaveCountAsync(0);
        await using (var work = app.Scopes.ForTenant(tenantId))
            Assert.False(await work.Db.Messages.AnyAsync(m => m.ConversationId == conversation.Id && m.Sender == MessageSender.Bot));

        // The dropped turn changed the row after the page loaded it; if the click races the page's refresh, the inbox
        // says so and refreshes, and the agent clicks again — as a person would.
        for (var attempt = 1; ; attempt++)
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "Devolver al bot" }).ClickAsync();
            try
            {
                await Assertions.Expect(page.GetByTestId("owner-badge")).ToContainTextAsync("Bot", new() { Timeout = 5000 });
                break;
            }
            catch (PlaywrightException) when (attempt < 3)
            {
            }
        }
        agent.Llm.Reply(LlmAnswer.Say("Con gusto te ayudo con tu factura."));
        await SayAsync("¿Me ayudan con la factura?");
        await Assertions.Expect(messages.Filter(new() { HasText = "Con gusto te ayudo con tu factura." })).ToBeVisibleAsync(new() { Timeout = 30000 });
    }
}
