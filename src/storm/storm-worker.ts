// Entry of the threads `conmap storm` starts: the storm loop on a plain SharedMap.
import { runStormWorker } from './worker-loop.js'

runStormWorker()
