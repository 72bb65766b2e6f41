// lineCharts.js - the ECharts build for the control room's trend drawer:
// the shared lazy build (charts/echarts.js) plus the dataZoom components
// (slider and mouse-wheel zoom), registered here so only this page pays
// for them. Loaded with a dynamic import, like charts/echarts.js itself.
import echarts from '../../charts/echarts.js'
import { DataZoomInsideComponent, DataZoomSliderComponent } from 'echarts/components'

echarts.use([DataZoomInsideComponent, DataZoomSliderComponent])

export default echarts
