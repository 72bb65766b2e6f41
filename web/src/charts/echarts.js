// charts/echarts.js - the ECharts build the UI uses, loaded lazily (dynamic
// import) so pages without charts do not download it. Registers only the
// chart types and components we draw: adding a chart type means adding it
// here.
import * as echarts from 'echarts/core'
import { BarChart, GraphChart, LineChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([BarChart, GraphChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer])

export default echarts
