// charts/echarts.js - the ECharts build the UI uses, loaded lazily (dynamic
// import) so pages without charts do not download it. Registers only the
// chart types and components we draw: adding a chart type means adding it
// here.
import * as echarts from 'echarts/core'
import { BarChart, CustomChart, GraphChart, LineChart } from 'echarts/charts'
import { AriaComponent, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

// CustomChart, MarkLineComponent and AriaComponent: the green channel's
// Gantt chart (views/desk/GreenGantt.vue)
echarts.use([BarChart, CustomChart, GraphChart, LineChart, AriaComponent, GridComponent, LegendComponent,
  MarkLineComponent, TooltipComponent, CanvasRenderer])

export default echarts
