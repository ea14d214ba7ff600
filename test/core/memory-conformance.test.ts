import { describeStoreConformance } from '../../src/conformance/index.js'
import { memoryStore } from '../../src/index.js'

describeStoreConformance('memoryStore', { make: () => memoryStore() })
