// green.test.mjs - the 绿色通道 tab of the desk (GreenChannel.vue)
// in real headless Chromium against `parkline serve --demo`:
// ent1 sees its two demo projects with the days saved and the park total,
// opens the finished one and gets the step timeline and the drawn
// statutory-vs-actual chart; specialist1 accepts the running project's next
// step from the drawer; department staff get no tab. Waits only on
// selectors and responses. Screenshot: docs/screenshots/desk-green.png.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { REPO } from './daemon.mjs'
import { openBrowserSuite } from './ui.mjs'

describe('green channel in Chromium', () => {
  const ui = openBrowserSuite({ before, after })
  const shot = (name) => path.join(REPO, 'docs', 'screenshots', name)

  test('ent1 sees its projects, the days saved and a project drawer with its chart', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'ent1')
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/desk/green-projects')),
      page.goto('/desk?tab=green'),
    ])
    const body = await res.json()
    assert.equal(body.total, 2)
    const done = body.items.find((p) => p.status === 'done')
    assert.ok(done && done.days_saved > 90, `the finished demo project saved ${done?.days_saved} days`)
    await page.locator('[data-test=green-total]', { hasText: `${body.summary.days_saved} 个工作日` }).waitFor()
    const row = page.locator('[data-test=green-table] tr', { hasText: done.name })
    await row.locator('text=已办结').waitFor()
    await row.click()
    await page.locator('[data-test=green-detail]', { hasText: String(done.statutory_days) }).waitFor()
    await page.locator('[data-test=green-steps]', { hasText: '竣工验收备案' }).waitFor()
    await page.locator('[data-test=green-chart][data-rendered=true]').waitFor()
    assert.equal(await page.locator('[data-test^=green-start-], [data-test^=green-finish-]').count(), 0,
      'an enterprise gets no step buttons')
    await page.screenshot({ path: shot('desk-green.png') })
    assert.deepEqual(errors, [])
  }))

  test('specialist1 finishes the running project\'s current step from the drawer', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'specialist1')
    await page.goto('/desk?tab=green')
    await page.locator('[data-test=green-table] tr', { hasText: '二期扩建' }).click()
    const button = page.locator('[data-test=green-finish-3]')
    await button.waitFor()
    const [res] = await Promise.all([
      page.waitForResponse((r) => /\/green-projects\/[^/]+\/steps\/3$/.test(r.url())),
      button.click(),
    ])
    assert.equal(res.status(), 200)
    await page.locator('[data-test=green-start-4]').waitFor()
    assert.equal(await page.locator('[data-test=green-finish-3]').count(), 0)
    assert.deepEqual(errors, [])
  }))

  test('department staff get no green-channel tab', ui.track(async (t) => {
    const { page } = await ui.openPage(t)
    await ui.login(page, 'dept_tax')
    await page.goto('/desk')
    await page.locator('[data-test=desk]').waitFor()
    await page.locator('[data-test=desk-tab-queue]').waitFor({ state: 'attached' })
    assert.equal(await page.locator('#tab-green').count(), 0)
  }))
})
