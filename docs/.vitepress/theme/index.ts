/**
 * The documentation theme: VitePress's default theme, plus the components
 * the benchmarks page draws its figures with. Everything is bundled with the
 * site; nothing is loaded from elsewhere.
 */
import type { Theme } from 'vitepress'
import DefaultTheme from 'vitepress/theme'
import BenchChart from './BenchChart.vue'
import BenchTable from './BenchTable.vue'
import './custom.css'

const theme: Theme = {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component('BenchChart', BenchChart)
    app.component('BenchTable', BenchTable)
  },
}

export default theme
